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
