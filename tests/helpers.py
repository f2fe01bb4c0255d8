"""Small helpers shared by tests."""

from __future__ import annotations

import re

import pyotp

from tests.factories import PASSWORD


def login(client, user, password: str = PASSWORD, follow: bool = False):
    return client.post(
        "/login", data={"email": user.email, "password": password}, follow_redirects=follow
    )


def totp_secret_from_page(html: str) -> str:
    match = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html)
    assert match, "the enrolment page shows the secret key"
    return match.group(1)


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def log_in_fully(client, user, password: str = PASSWORD) -> None:
    """Log in, enrolling a second factor where the role requires it."""
    response = login(client, user, password)
    if response.headers.get("Location") == "/login/enrol":
        secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
        client.post("/login/enrol", data={"code": current_code(secret)})
