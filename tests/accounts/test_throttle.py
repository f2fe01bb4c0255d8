"""Failed logins slow an attacker down without handing them a way to lock staff out:
growing delays per address, an account-wide block that spares the addresses a user
logged in from before, per-account limits on two-step codes — all expiring alone,
and the same for e-mails that have no account. Every path costs one password hash."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from inspect_app.accounts import services
from inspect_app.accounts.permissions import Role
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from tests.factories import PASSWORD
from tests.helpers import current_code, log_in_fully, totp_secret_from_page


def _login(client, email: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_an_address_that_keeps_failing_waits_longer_and_longer(app, app_ctx, make_user):
    user = make_user(Role.INSPECTOR)
    start = utcnow()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(services.LoginFailed):
            services.authenticate(user.email, "wrong password", ip="10.0.0.9", now=start)
    db.session.commit()
    # Even the right password waits out the block, which grows with each failure ...
    with pytest.raises(services.Throttled, match="1 phút"):
        services.authenticate(user.email, PASSWORD, ip="10.0.0.9", now=start)
    later = start + timedelta(minutes=1, seconds=1)
    with pytest.raises(services.LoginFailed):
        services.authenticate(user.email, "wrong again", ip="10.0.0.9", now=later)
    with pytest.raises(services.Throttled, match="2 phút"):
        services.authenticate(user.email, PASSWORD, ip="10.0.0.9", now=later)
    # ... and expires by itself.
    assert (
        services.authenticate(user.email, PASSWORD, ip="10.0.0.9", now=later + timedelta(minutes=3))
        == user
    )


def test_one_attackers_address_does_not_lock_the_officer_out(app, make_user):
    user = make_user(Role.INSPECTOR)
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login(attacker, user.email, "guess", "203.0.113.7").status_code == 401
    refused = _login(attacker, user.email, PASSWORD, "203.0.113.7")
    assert refused.status_code == 429
    assert "Thử lại sau" in refused.get_data(as_text=True)
    assert _login(app.test_client(), user.email, PASSWORD, "10.1.1.1").status_code == 302


def test_many_addresses_block_the_account_but_not_where_the_officer_works(app, make_user):
    user = make_user(Role.INSPECTOR)
    assert _login(app.test_client(), user.email, PASSWORD, "10.1.1.1").status_code == 302
    for n in range(app.config["LOGIN_ACCOUNT_MAX_FAILURES"]):
        _login(app.test_client(), user.email, "guess", f"198.51.100.{n}")
    assert _login(app.test_client(), user.email, PASSWORD, "192.0.2.50").status_code == 429
    assert _login(app.test_client(), user.email, PASSWORD, "10.1.1.1").status_code == 302


def test_an_unknown_email_is_answered_exactly_like_a_known_one(app, make_user):
    user = make_user(Role.INSPECTOR)
    answers = {}
    for email, address in ((user.email, "203.0.113.9"), ("nobody@example.vn", "203.0.113.10")):
        client = app.test_client()
        statuses = [
            _login(client, email, "guess", address).status_code
            for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1)
        ]
        last = _login(client, email, "guess", address).get_data(as_text=True)
        answers[email] = (statuses, "Thử lại sau" in last)
    assert answers[user.email] == answers["nobody@example.vn"]
    assert answers[user.email] == ([401] * 5 + [429], True)


def test_an_administrator_lifts_a_block(app, make_user):
    user = make_user(Role.INSPECTOR)
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, user.email, "guess")
    assert _login(client, user.email, PASSWORD).status_code == 429
    admin = app.test_client()
    log_in_fully(admin, make_user(Role.ADMIN))
    assert "Bị chặn sau nhiều lần đăng nhập sai" in admin.get("/admin/users").get_data(as_text=True)
    assert admin.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert _login(client, user.email, PASSWORD).status_code == 302


def test_two_step_codes_are_limited_per_account_across_addresses(app, make_user):
    user = make_user(Role.DIRECTOR)
    first = app.test_client()
    assert _login(first, user.email, PASSWORD).headers["Location"] == "/login/enrol"
    secret = totp_secret_from_page(first.get("/login/enrol").get_data(as_text=True))
    first.post("/login/enrol", data={"code": current_code(secret)})
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        client = app.test_client()  # a new half-finished login, a new address
        _login(client, user.email, PASSWORD, f"198.51.100.{n}")
        response = client.post(
            "/login/verify",
            data={"code": "000000"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
        assert response.status_code == 401
    client = app.test_client()
    _login(client, user.email, PASSWORD, "10.9.9.9")
    blocked = client.post("/login/verify", data={"code": current_code(secret)})
    assert blocked.status_code == 429 and "Thử lại sau" in blocked.get_data(as_text=True)


class _CountingHasher(PasswordHasher):
    counts = {"verify": 0, "hash": 0}

    def verify(self, hash, password):
        self.counts["verify"] += 1
        return super().verify(hash, password)

    def hash(self, password, *, salt=None):
        self.counts["hash"] += 1
        return super().hash(password, salt=salt)


@pytest.mark.parametrize(
    "case", ["known, right", "known, wrong", "unknown", "no password yet", "blocked"]
)
def test_every_login_path_costs_exactly_one_password_hash(
    app, app_ctx, make_user, monkeypatch, case
):
    """Timing tells nothing: the same Argon2 work whatever the e-mail (counted, not timed)."""
    user = make_user(Role.ASSOCIATION_STAFF)
    email, password = {
        "known, right": (user.email, PASSWORD),
        "known, wrong": (user.email, "wrong password"),
        "unknown": ("nobody@example.vn", PASSWORD),
        "no password yet": (_invited(make_user).email, PASSWORD),
        "blocked": (user.email, PASSWORD),
    }[case]
    if case == "blocked":
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            with pytest.raises(services.LoginFailed):
                services.authenticate(email, "guess", ip="10.0.0.1")
    services.dummy_hash()
    monkeypatch.setattr(services, "_hasher", lambda: _CountingHasher(time_cost=1, memory_cost=1024))
    _CountingHasher.counts.update(verify=0, hash=0)
    with contextlib.suppress(services.LoginFailed):
        services.authenticate(email, password, ip="10.0.0.1")
    assert _CountingHasher.counts == {"verify": 1, "hash": 0}


def _invited(make_user):
    user = make_user(Role.INSPECTOR)
    user.password_hash = "!"
    db.session.commit()
    return user
