"""The case state machine: the states of a case (and, with the workflow, the table
of transitions). Nothing outside this module writes `Case.status`."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class CaseStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"
    TRANSFERRED = "transferred"

    @property
    def title(self) -> str:
        return str(STATUS_TITLES[self])

    @property
    def public_title(self) -> str:
        """What a reporter sees on the tracking page."""
        return str(PUBLIC_STATUS_TITLES[self])


STATUS_TITLES = {
    CaseStatus.NEW: _l("New"),
    CaseStatus.ACCEPTED: _l("Accepted"),
    CaseStatus.ASSIGNED: _l("Assigned"),
    CaseStatus.INVESTIGATING: _l("Investigating"),
    CaseStatus.RESOLVED: _l("Resolved"),
    CaseStatus.CLOSED: _l("Closed"),
    CaseStatus.REJECTED: _l("Not accepted"),
    CaseStatus.MERGED: _l("Merged"),
    CaseStatus.TRANSFERRED: _l("Transferred"),
}

PUBLIC_STATUS_TITLES = {
    CaseStatus.NEW: _l("Received"),
    CaseStatus.ACCEPTED: _l("Accepted for handling"),
    CaseStatus.ASSIGNED: _l("Being handled"),
    CaseStatus.INVESTIGATING: _l("Being handled"),
    CaseStatus.RESOLVED: _l("Resolved"),
    CaseStatus.CLOSED: _l("Resolved"),
    CaseStatus.REJECTED: _l("Not accepted for handling"),
    CaseStatus.MERGED: _l("Being handled together with a related report"),
    CaseStatus.TRANSFERRED: _l("Transferred to the competent authority"),
}
