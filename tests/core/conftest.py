"""The organisation of the case tests (a person in every role) for the core tests."""

from tests.cases.conftest import Org, org  # noqa: F401
