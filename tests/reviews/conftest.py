"""Audit review tests reuse the case fixtures: an organisation and `make_case`."""

from tests.cases.conftest import make_case, org  # noqa: F401
