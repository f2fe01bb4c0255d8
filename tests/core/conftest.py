"""The organisation of the case tests (a person in every role) for the core tests."""

from tests.cases.conftest import Org, make_case, org  # noqa: F401
