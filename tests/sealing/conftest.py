"""An office whose reports are sealed: a team with its lead and inspector, the
province's director, an administrator, and the office's recovery key."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from inspect_app.accounts.models import Office, Team, User
from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db
from inspect_app.sealing import crypto
from inspect_app.sealing.services import create_recovery_key
from tests import imaging
from tests.cases.conftest import new_report

NAME, PHONE, EMAIL = "Nguyễn Văn An", "0912345678", "an@example.vn"
REASON = "Cần liên hệ người tố cáo để xác minh thêm."


@dataclass
class Office_:
    office: Office
    team: Team
    lead: User
    inspector: User
    director: User
    admin: User
    recovery_text: str

    @property
    def recovery_private(self) -> bytes:
        return crypto.parse_recovery_key(self.recovery_text)


@pytest.fixture
def office(make_team, make_user) -> Office_:
    team = make_team("HN-DOI01", wards=5, is_default=True)
    _row, text = create_recovery_key(team.office)
    db.session.commit()
    return Office_(
        office=team.office,
        team=team,
        lead=make_user(Role.TEAM_LEAD, team=team, full_name="Trần Thị Lan"),
        inspector=make_user(Role.INSPECTOR, team=team, full_name="Lê Văn Minh"),
        director=make_user(Role.DIRECTOR, full_name="Nguyễn Văn Giám"),
        admin=make_user(Role.ADMIN, full_name="Quản trị viên"),
        recovery_text=text,
    )


@pytest.fixture
def denunciation(office):
    """A named denunciation with a phone photo, sealed to the team's lead, the
    province's director and the recovery key."""
    return new_report(office.team, named=True, photos=1, seed="denounce")


def photo_with_exif() -> bytes:
    return imaging.jpeg_with_gps(artist="Nguyen Van An", serial="SN-42")
