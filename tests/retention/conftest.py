"""Retention tests use the case organisation."""

from tests.cases.conftest import make_case, org  # noqa: F401
