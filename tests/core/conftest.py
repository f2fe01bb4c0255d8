"""Core tests use the case fixtures too: an organisation with people in every role."""

from tests.cases.conftest import make_case, org  # noqa: F401
