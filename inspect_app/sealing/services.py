"""Sealing reporters' data, and opening it again only for those entitled to it.

A report gets up to two data keys (`SealedKey`):

- the *identity* key seals the reporter's identity, the photo facts that can
  identify a person (GPS, camera, Artist, serial numbers) and, for a report without
  a name, the keys of its original photos. It is wrapped to the officers entitled
  to reveal (the team's leads, the province's directors), for a complaint to the
  staff of the association that filed it, to the office recovery key, and to the
  reporter's tracking code;
- the *evidence* key (a named report with photos) seals the keys of its original
  photos for every officer of the case: the identity holders but the reporter, and
  the team's inspectors.

Officers' private keys are locked under their own passwords, so nothing on the
server — database, files, `INSPECT_DATA_KEY` — opens a data key: only a password
typed in the request that needs it, the recovery key typed into a command, or the
tracking code. Views never touch keys: the services below take a password and give
back what it opens.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, delete, exists, false, func, or_, select
from sqlalchemy.orm import aliased

from inspect_app.accounts.models import Office, Team, User
from inspect_app.accounts.permissions import Permission, Role, roles_with
from inspect_app.audit.services import record_event
from inspect_app.cases.access import case_scope
from inspect_app.cases.models import Case, Report, ReportKind
from inspect_app.dbtypes import utcnow
from inspect_app.evidence.models import Photo
from inspect_app.extensions import db
from inspect_app.intake.tracking import normalize_code
from inspect_app.sealing import crypto
from inspect_app.sealing.models import (
    Holder,
    KeyEnvelope,
    OfficerKey,
    Purpose,
    RecoveryKey,
    SealedKey,
)

IDENTITY_LABEL = b"report-identity"
FACTS_LABEL = b"photo-facts"
ORIGINAL_KEY_LABEL = b"original-file-key"
PRIVATE_KEY_LABEL = b"officer-private-key"
REPORTER_LABEL = b"reporter-envelope"
LOCATION_LABEL = b"device-location"
GRANT_BATCH = 500


class SealingError(ValueError):
    """A request about sealed data that cannot be granted; the message is user-facing."""

    status_code = 403


class WrongPassword(SealingError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__(_l("The password is wrong."))


class NoKey(SealingError):
    """The user holds no key for this data (yet)."""


# --- officers' key pairs ------------------------------------------------------------


def may_hold_keys(user: User) -> bool:
    """Administrators run the system; they never hold keys to reporters' data."""
    return user.role != Role.ADMIN.value


def _kdf_params() -> crypto.KdfParams:
    cfg = current_app.config
    return crypto.kdf_params(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])


def _lock(private: bytes, password: str) -> dict:
    locked = crypto.lock_private_key(private, password, _kdf_params(), PRIVATE_KEY_LABEL)
    return {
        "locked_private_key": crypto.b64(locked.ciphertext),
        "kdf_salt": crypto.b64(locked.salt),
        "kdf_opslimit": locked.params.opslimit,
        "kdf_memlimit": locked.params.memlimit,
    }


def create_officer_key(user: User, password: str, *, now: datetime | None = None) -> OfficerKey:
    """A fresh key pair for `user`, its private half locked under `password`. Gives
    no access to anything sealed before: that takes a grant."""
    pair = crypto.generate_key_pair()
    key = OfficerKey(public_key=crypto.b64(pair.public), created_at=now or utcnow())
    for name, value in _lock(pair.private, password).items():
        setattr(key, name, value)
    user.officer_key = key
    db.session.flush()
    record_event(
        actor=user,
        action="keys.officer_key_created",
        data={"subject": user.id, "fingerprint": crypto.fingerprint(pair.public)},
        at=now,
    )
    return key


def ensure_officer_key(user: User, password: str) -> bool:
    """Give an officer who has none a key pair (at login, when the password is known)."""
    if user.officer_key is not None or not may_hold_keys(user):
        return False
    create_officer_key(user, password)
    return True


def unlock_private_key(user: User, password: str) -> bytes:
    key = user.officer_key
    if key is None:
        raise NoKey(_l("You have no key yet: log out and in again once, then ask for access."))
    locked = crypto.LockedKey(
        salt=crypto.unb64(key.kdf_salt),
        ciphertext=crypto.unb64(key.locked_private_key),
        params=crypto.KdfParams(key.kdf_opslimit, key.kdf_memlimit),
    )
    try:
        return crypto.unlock_private_key(locked, password, PRIVATE_KEY_LABEL)
    except crypto.SealError:
        raise WrongPassword() from None


def relock_officer_key(user: User, old_password: str, new_password: str) -> None:
    """The user changed their own password: the same key pair, locked anew."""
    if user.officer_key is None:
        ensure_officer_key(user, new_password)
        return
    private = unlock_private_key(user, old_password)
    for name, value in _lock(private, new_password).items():
        setattr(user.officer_key, name, value)
    db.session.flush()


def drop_officer_key(user: User, *, actor: User | None, now: datetime | None = None) -> int:
    """Forget `user`'s key pair and every key wrapped to it (after an administrator
    reset their password or two-step verification). Returns the keys given up."""
    dropped = db.session.execute(delete(KeyEnvelope).where(KeyEnvelope.user_id == user.id)).rowcount
    had_key = user.officer_key is not None
    user.officer_key = None
    db.session.flush()
    if had_key or dropped:
        record_event(
            actor=actor,
            action="keys.officer_key_dropped",
            data={"subject": user.id, "subject_email": user.email, "keys": dropped},
            at=now,
        )
    return dropped


# --- who holds a report's keys --------------------------------------------------------


def _office_id(province_code: int) -> int | None:
    return db.session.scalar(select(Office.id).where(Office.province_code == province_code))


def _holder_condition(
    purpose: Purpose, team_id: int | None, office_id: int | None, report: Report
) -> ColumnElement[bool]:
    """Which users a new data key of this purpose is wrapped to (as SQL on User)."""
    permission = (
        Permission.REVEAL_REPORTER if purpose is Purpose.IDENTITY else Permission.DOWNLOAD_ORIGINALS
    )
    team_roles = [r.value for r in roles_with(permission) if r.needs_team]
    office_roles = [r.value for r in roles_with(permission) if r.needs_office]
    conditions = [
        and_(User.role.in_(team_roles), User.team_id == team_id) if team_id else false(),
        and_(User.role.in_(office_roles), User.office_id == office_id) if office_id else false(),
    ]
    if (
        purpose is Purpose.IDENTITY
        and report.kind == ReportKind.COMPLAINT.value
        and report.association_id is not None
    ):
        conditions.append(
            and_(
                User.role == Role.ASSOCIATION_STAFF.value,
                User.association_id == report.association_id,
            )
        )
    return or_(*conditions)


def _holder_keys(condition: ColumnElement[bool]) -> list[OfficerKey]:
    query = (
        select(OfficerKey).join(User, User.id == OfficerKey.user_id).where(User.active, condition)
    )
    return list(db.session.scalars(query.order_by(OfficerKey.user_id)))


def recovery_key_for(province_code: int) -> RecoveryKey | None:
    """The active recovery key of the province's office, else the national one."""
    office_id = _office_id(province_code)
    query = select(RecoveryKey).where(RecoveryKey.retired_at.is_(None))
    if office_id is not None:
        own = db.session.scalar(query.where(RecoveryKey.office_id == office_id))
        if own is not None:
            return own
    return db.session.scalar(query.where(RecoveryKey.office_id.is_(None)))


# --- sealing a new report -----------------------------------------------------------


@dataclass
class PhotoSecrets:
    """What sealing a stored photo needs: its row, the key of its original file and
    the EXIF facts that can identify a person."""

    photo: Photo
    file_key: bytes
    facts: dict = field(default_factory=dict)


def _json(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _reporter_envelope(data_key: bytes, tracking_code: str) -> KeyEnvelope:
    salt = crypto.new_salt()
    key = crypto.code_key(normalize_code(tracking_code) or "", salt)
    return KeyEnvelope(
        holder=Holder.REPORTER.value,
        salt=crypto.b64(salt),
        wrapped=crypto.encrypt_text(key, data_key, REPORTER_LABEL),
    )


def _wrap_to(
    sealed: SealedKey, data_key: bytes, officers: Iterable[OfficerKey], recovery: RecoveryKey | None
) -> None:
    for officer in officers:
        sealed.envelopes.append(
            KeyEnvelope(
                holder=Holder.OFFICER.value,
                user_id=officer.user_id,
                wrapped=crypto.wrap(data_key, crypto.unb64(officer.public_key)),
            )
        )
    if recovery is not None:
        sealed.envelopes.append(
            KeyEnvelope(
                holder=Holder.RECOVERY.value,
                recovery_key_id=recovery.id,
                wrapped=crypto.wrap(data_key, crypto.unb64(recovery.public_key)),
            )
        )


def seal_report(
    report: Report,
    *,
    team_id: int | None,
    identity: dict | None,
    photos: Sequence[PhotoSecrets],
    tracking_code: str | None,
    location: dict | None = None,
) -> None:
    """Seal a new report's identity, device location, photo facts and original-file
    keys.

    Works before the report is flushed: the rows are attached to it and written
    with it. Returns without sealing anything when there is nothing to seal.
    """
    if identity is None and not photos and location is None:
        return
    office_id = _office_id(report.province_code)
    recovery = recovery_key_for(report.province_code)
    identity_key = crypto.new_data_key()
    sealed = SealedKey(purpose=Purpose.IDENTITY.value)
    report.sealed_keys.append(sealed)
    report.reporter_named = identity is not None
    if identity is not None:
        report.identity_sealed = crypto.encrypt_text(identity_key, _json(identity), IDENTITY_LABEL)
    if location is not None:
        report.location_sealed = crypto.encrypt_text(identity_key, _json(location), LOCATION_LABEL)
    originals_key = identity_key
    if identity is not None and photos:
        originals_key = crypto.new_data_key()
        evidence = SealedKey(purpose=Purpose.EVIDENCE.value)
        report.sealed_keys.append(evidence)
        condition = _holder_condition(Purpose.EVIDENCE, team_id, office_id, report)
        _wrap_to(evidence, originals_key, _holder_keys(condition), recovery)
    for item in photos:
        if item.facts:
            item.photo.facts_sealed = crypto.encrypt_text(
                identity_key, _json(item.facts), FACTS_LABEL
            )
        item.photo.original_key_sealed = crypto.encrypt_text(
            originals_key, item.file_key, ORIGINAL_KEY_LABEL
        )
    _wrap_identity(sealed, identity_key, report, team_id, tracking_code)


def _wrap_identity(
    sealed: SealedKey,
    data_key: bytes,
    report: Report,
    team_id: int | None,
    tracking_code: str | None,
) -> None:
    """Wrap a report's identity key to its holders, its office's recovery key and the
    reporter's tracking code."""
    office_id = _office_id(report.province_code)
    condition = _holder_condition(Purpose.IDENTITY, team_id, office_id, report)
    _wrap_to(sealed, data_key, _holder_keys(condition), recovery_key_for(report.province_code))
    if tracking_code:
        sealed.envelopes.append(_reporter_envelope(data_key, tracking_code))


def seal_followup_photos(
    report: Report, tracking_code: str, photos: Sequence[PhotoSecrets]
) -> None:
    """Seal the photos a reporter adds later with their tracking code: the keys of
    their originals and their identifying facts go under the report's identity key,
    which the code opens (a report that had nothing sealed gets one now). Officers
    who may reveal the identity open them; the recovery key too."""
    if not photos:
        return
    data_key = _reporter_data_key(report, tracking_code)
    if data_key is None:
        if _sealed_key(report, Purpose.IDENTITY) is not None:
            raise SealingError(
                _l("Photos cannot be added to this report. Send your message without them.")
            )
        data_key = crypto.new_data_key()
        sealed = SealedKey(purpose=Purpose.IDENTITY.value)
        report.sealed_keys.append(sealed)
        _wrap_identity(sealed, data_key, report, report.case.team_id, tracking_code)
    for item in photos:
        if item.facts:
            item.photo.facts_sealed = crypto.encrypt_text(data_key, _json(item.facts), FACTS_LABEL)
        item.photo.original_key_sealed = crypto.encrypt_text(
            data_key, item.file_key, ORIGINAL_KEY_LABEL
        )


# --- opening sealed data --------------------------------------------------------------


def _sealed_key(report: Report, purpose: Purpose) -> SealedKey | None:
    return next((k for k in report.sealed_keys if k.purpose == purpose.value), None)


def _originals_key(report: Report) -> SealedKey | None:
    return _sealed_key(report, Purpose.EVIDENCE) or _sealed_key(report, Purpose.IDENTITY)


def _open_with_private_key(sealed: SealedKey | None, user: User, private: bytes) -> bytes:
    envelope = None
    if sealed is not None:
        envelope = db.session.scalar(
            select(KeyEnvelope).where(
                KeyEnvelope.sealed_key_id == sealed.id, KeyEnvelope.user_id == user.id
            )
        )
    if envelope is None:
        raise NoKey(
            _l(
                "You hold no key to this report yet. A colleague who has it, or the office "
                "with its recovery key, can give you access."
            )
        )
    return crypto.unwrap(envelope.wrapped, private)


@dataclass
class Revealed:
    """A report's sealed data, opened for one request."""

    identity: dict | None
    photo_facts: dict[int, dict]
    location: dict | None = None


def _open_facts(report: Report, data_key: bytes) -> dict[int, dict]:
    return {
        photo.id: json.loads(crypto.decrypt_text(data_key, photo.facts_sealed, FACTS_LABEL))
        for photo in report.photos
        if photo.facts_sealed
    }


def _open_identity(report: Report, data_key: bytes) -> Revealed:
    identity = None
    if report.identity_sealed:
        identity = json.loads(crypto.decrypt_text(data_key, report.identity_sealed, IDENTITY_LABEL))
    location = None
    if report.location_sealed:
        location = json.loads(crypto.decrypt_text(data_key, report.location_sealed, LOCATION_LABEL))
    return Revealed(identity=identity, photo_facts=_open_facts(report, data_key), location=location)


def reveal_identity(user: User, password: str, report: Report) -> Revealed:
    """Open a report's identity and identifying photo facts with the user's password.
    The caller checks the permission, re-authenticates and audits."""
    private = unlock_private_key(user, password)
    data_key = _open_with_private_key(_sealed_key(report, Purpose.IDENTITY), user, private)
    return _open_identity(report, data_key)


def original_file_keys(user: User, password: str, report: Report) -> dict[int, bytes]:
    """The keys of a report's original files (photo id → key) for this user."""
    private = unlock_private_key(user, password)
    originals = _originals_key(report)
    data_key = _open_with_private_key(originals, user, private)
    first = [p for p in report.photos if p.original_key_sealed and p.message_id is None]
    keys = {p.id: _original_key(data_key, p) for p in first}
    later = [p for p in report.photos if p.original_key_sealed and p.message_id is not None]
    identity = _sealed_key(report, Purpose.IDENTITY)
    if later and identity is not originals:
        try:
            data_key = _open_with_private_key(identity, user, private)
        except NoKey:  # an inspector of a named report: the later photos are sealed
            return keys
    keys.update({p.id: _original_key(data_key, p) for p in later})
    return keys


def _original_key(data_key: bytes, photo: Photo) -> bytes:
    return crypto.decrypt_text(data_key, photo.original_key_sealed, ORIGINAL_KEY_LABEL)


def can_open_originals(user: User, report: Report) -> bool:
    """Whether the user is entitled to the report's originals (a key may be missing)."""
    if report.is_anonymous:
        return user.can(Permission.REVEAL_REPORTER)
    return user.can(Permission.DOWNLOAD_ORIGINALS)


# --- the reporter's own view, with the tracking code ---------------------------------


def _reporter_data_key(report: Report, tracking_code: str) -> bytes | None:
    sealed = _sealed_key(report, Purpose.IDENTITY)
    canonical = normalize_code(tracking_code)
    if sealed is None or canonical is None:
        return None
    envelope = next((e for e in sealed.envelopes if e.holder == Holder.REPORTER.value), None)
    if envelope is None:
        return None
    key = crypto.code_key(canonical, crypto.unb64(envelope.salt))
    return crypto.decrypt_text(key, envelope.wrapped, REPORTER_LABEL)


def reporter_view(report: Report, tracking_code: str) -> Revealed | None:
    """What the report holds about its reporter, opened with the tracking code."""
    data_key = _reporter_data_key(report, tracking_code)
    return None if data_key is None else _open_identity(report, data_key)


def withdraw_contact(report: Report, tracking_code: str, *, now: datetime | None = None) -> None:
    """The reporter withdraws consent to being contacted: their contact details are
    destroyed. A tip forgets the reporter entirely; a denunciation or complaint keeps
    the name it was filed under. What stays is sealed anew with a fresh key wrapped
    to the same holders (public keys suffice), and the old key is deleted: with it
    the old details are gone."""
    report.progress_email_enc = None
    report.wants_email_updates = False
    report.contact_withdrawn_at = now or utcnow()
    opened = reporter_view(report, tracking_code)
    old = _sealed_key(report, Purpose.IDENTITY)
    if opened is None or old is None or opened.identity is None:
        return
    keep = None
    old_key = _reporter_data_key(report, tracking_code)
    if report.kind == ReportKind.TIP.value:
        report.reporter_named = False
        report.device_lat = report.device_lon = report.device_accuracy_m = None
        for photo in report.photos:
            photo.gps_lat = photo.gps_lon = photo.camera_make = photo.camera_model = None
    else:
        keep = {"name": opened.identity.get("name")}
    fresh = crypto.new_data_key()
    replacement = SealedKey(purpose=Purpose.IDENTITY.value)
    for envelope in old.envelopes:
        replacement.envelopes.append(_rewrapped(envelope, fresh, tracking_code))
    report.identity_sealed = (
        crypto.encrypt_text(fresh, _json(keep), IDENTITY_LABEL) if keep else None
    )
    _reseal_under(report, opened, old_key, fresh)
    report.sealed_keys.remove(old)
    db.session.flush()  # the old key goes before its replacement (one per purpose)
    report.sealed_keys.append(replacement)
    db.session.flush()


def _reseal_under(report: Report, opened: Revealed, old_key: bytes, fresh: bytes) -> None:
    """What the old identity key sealed besides the identity, sealed with `fresh`:
    photo facts, the device location, the originals of photos added later."""
    for photo in report.photos:
        facts = opened.photo_facts.get(photo.id)
        if facts:
            photo.facts_sealed = crypto.encrypt_text(fresh, _json(facts), FACTS_LABEL)
        if photo.message_id is not None and photo.original_key_sealed:
            file_key = _original_key(old_key, photo)
            photo.original_key_sealed = crypto.encrypt_text(fresh, file_key, ORIGINAL_KEY_LABEL)
    if opened.location is not None:
        report.location_sealed = crypto.encrypt_text(fresh, _json(opened.location), LOCATION_LABEL)


def _rewrapped(envelope: KeyEnvelope, data_key: bytes, tracking_code: str) -> KeyEnvelope:
    """A new envelope of `data_key` for the holder of `envelope` (public keys only)."""
    if envelope.holder == Holder.REPORTER.value:
        return _reporter_envelope(data_key, tracking_code)
    if envelope.holder == Holder.RECOVERY.value:
        public = db.session.get(RecoveryKey, envelope.recovery_key_id).public_key
        return KeyEnvelope(
            holder=envelope.holder,
            recovery_key_id=envelope.recovery_key_id,
            wrapped=crypto.wrap(data_key, crypto.unb64(public)),
        )
    public = db.session.get(OfficerKey, envelope.user_id).public_key
    return KeyEnvelope(
        holder=envelope.holder,
        user_id=envelope.user_id,
        granted_by_id=envelope.granted_by_id,
        wrapped=crypto.wrap(data_key, crypto.unb64(public)),
    )


# --- destroying (retention) ---------------------------------------------------------


def shred_report(report: Report, *, now: datetime | None = None) -> dict[str, int]:
    """Destroy a report's sealed identity, identifying photo facts and the keys of its
    original files (crypto-shredding: without the data keys the ciphertexts are
    noise). Returns what was destroyed."""
    now = now or utcnow()
    destroyed = {
        "identity": int(
            report.identity_sealed is not None or report.legacy_identity_enc is not None
        ),
        "photo_facts": sum(1 for p in report.photos if p.facts_sealed),
        "originals": sum(1 for p in report.photos if p.original_key_sealed),
        "keys": len(report.sealed_keys),
    }
    report.identity_sealed = None
    report.legacy_identity_enc = None
    report.location_sealed = None
    report.device_lat = report.device_lon = report.device_accuracy_m = None
    report.progress_email_enc = None
    report.wants_email_updates = False
    for photo in report.photos:
        photo.facts_sealed = None
        photo.original_key_sealed = None
    report.sealed_keys.clear()
    if report.reporter_named:
        report.identity_destroyed_at = now
    db.session.flush()
    return destroyed


# --- granting access ------------------------------------------------------------------


def entitled(user: User, purpose: Purpose | str) -> ColumnElement[bool]:
    """SQL on (SealedKey's) Report and Case: the data keys of this purpose that `user`
    is entitled to hold now."""
    purpose = Purpose(purpose)
    if not user.active or not may_hold_keys(user):
        return false()
    if purpose is Purpose.EVIDENCE:
        return case_scope(user) if user.can(Permission.DOWNLOAD_ORIGINALS) else false()
    conditions = []
    if user.can(Permission.REVEAL_REPORTER):
        conditions.append(case_scope(user))
    if user.role == Role.ASSOCIATION_STAFF.value and user.association_id is not None:
        conditions.append(
            and_(
                Report.kind == ReportKind.COMPLAINT.value,
                Report.association_id == user.association_id,
            )
        )
    return or_(*conditions) if conditions else false()


def _entitled_keys(user: User) -> ColumnElement[bool]:
    return or_(
        and_(SealedKey.purpose == Purpose.IDENTITY.value, entitled(user, Purpose.IDENTITY)),
        and_(SealedKey.purpose == Purpose.EVIDENCE.value, entitled(user, Purpose.EVIDENCE)),
    )


def _missing_for(grantee: User) -> ColumnElement[bool]:
    theirs = aliased(KeyEnvelope)
    return ~exists().where(theirs.sealed_key_id == SealedKey.id, theirs.user_id == grantee.id)


def _grantable(source: ColumnElement[bool], grantee: User, *columns):
    """The envelopes `source` holds of keys the grantee is entitled to and lacks."""
    return (
        select(*columns)
        .select_from(SealedKey)
        .join(KeyEnvelope, KeyEnvelope.sealed_key_id == SealedKey.id)
        .join(Report, Report.id == SealedKey.report_id)
        .join(Case, Case.id == Report.case_id)
        .where(source, _entitled_keys(grantee), _missing_for(grantee))
    )


def _key_rows(source: ColumnElement[bool], grantee: User):
    """(sealed key id, wrapped data key) of what `source` can give the grantee."""
    return _grantable(source, grantee, SealedKey.id, KeyEnvelope.wrapped).order_by(SealedKey.id)


def pending_count(holder: ColumnElement[bool], grantee: User) -> int:
    return db.session.scalar(_grantable(holder, grantee, func.count())) or 0


def held_by(user: User) -> ColumnElement[bool]:
    return KeyEnvelope.user_id == user.id


def held_by_recovery(recovery: RecoveryKey) -> ColumnElement[bool]:
    return KeyEnvelope.recovery_key_id == recovery.id


def _copy_keys(
    source: ColumnElement[bool], private: bytes, grantee: User, granter: User | None
) -> int:
    """Re-wrap to the grantee every key `source` holds that the grantee is entitled to
    and lacks, a batch at a time."""
    if grantee.officer_key is None:
        raise NoKey(_l("%(name)s has no key yet: they must log in once first.", name=grantee))
    public = crypto.unb64(grantee.officer_key.public_key)
    copied = 0
    while rows := db.session.execute(_key_rows(source, grantee).limit(GRANT_BATCH)).all():
        db.session.add_all(
            KeyEnvelope(
                sealed_key_id=key_id,
                holder=Holder.OFFICER.value,
                user_id=grantee.id,
                granted_by_id=granter.id if granter else None,
                wrapped=crypto.wrap(crypto.unwrap(wrapped, private), public),
            )
            for key_id, wrapped in rows
        )
        db.session.flush()
        copied += len(rows)
    return copied


def grant_access(
    granter: User, password: str, grantee: User, *, now: datetime | None = None
) -> int:
    """An officer who holds keys gives a colleague the ones the colleague is entitled
    to (a new team lead, a new director …), unlocking their own key with their
    password. Returns the number of keys given; audited."""
    if grantee.id == granter.id:
        raise SealingError(_l("Choose a colleague."))
    private = unlock_private_key(granter, password)
    copied = _copy_keys(held_by(granter), private, grantee, granter)
    _record_grant(granter, grantee, copied, now, via="officer")
    return copied


def _record_grant(
    actor: User | None, grantee: User, copied: int, now: datetime | None, **how: str
) -> None:
    data = {"subject": grantee.id, "subject_email": grantee.email, "keys": copied, **how}
    record_event(actor=actor, action="keys.grant", data=data, at=now)


def recovery_key_matching(private: bytes) -> RecoveryKey:
    public = crypto.b64(crypto.public_key_of(private))
    found = db.session.scalar(select(RecoveryKey).where(RecoveryKey.public_key == public))
    if found is None:
        raise SealingError(_l("This recovery key is not known here."))
    return found


def grant_with_recovery(private: bytes, grantee: User, *, now: datetime | None = None) -> int:
    """Give a user the keys they are entitled to, with an office recovery key."""
    recovery = recovery_key_matching(private)
    copied = _copy_keys(held_by_recovery(recovery), private, grantee, None)
    _record_grant(None, grantee, copied, now, via="recovery", recovery_key=recovery.fingerprint)
    return copied


def colleagues_waiting(granter: User) -> list[tuple[User, int]]:
    """Colleagues in the granter's reach who lack keys the granter could give them."""
    if granter.officer_key is None:
        return []
    candidates = db.session.scalars(
        select(User)
        .join(OfficerKey, OfficerKey.user_id == User.id)
        .where(User.active, User.id != granter.id, _colleague_of(granter))
        .order_by(User.full_name, User.email)
    )
    waiting = [(user, pending_count(held_by(granter), user)) for user in candidates]
    return [(user, count) for user, count in waiting if count]


def _colleague_of(user: User) -> ColumnElement[bool]:
    """The users whose access this user may be asked to give: their team (a lead),
    their office's people (a director), their association (association staff)."""
    if user.role == Role.ASSOCIATION_STAFF.value:
        return User.association_id == user.association_id if user.association_id else false()
    office = user.office_of_scope
    if user.role == Role.DIRECTOR.value and office is not None:
        return or_(
            User.office_id == office.id,
            User.team_id.in_(select(Team.id).where(Team.office_id == office.id)),
        )
    return User.team_id == user.team_id if user.team_id else false()


def revoke_unentitled(user: User, *, actor: User | None, now: datetime | None = None) -> int:
    """Drop the keys `user` holds but is no longer entitled to (a new role or team)."""
    keep = (
        select(SealedKey.id)
        .join(Report, Report.id == SealedKey.report_id)
        .join(Case, Case.id == Report.case_id)
        .where(_entitled_keys(user))
    )
    dropped = db.session.execute(
        delete(KeyEnvelope).where(
            KeyEnvelope.user_id == user.id, KeyEnvelope.sealed_key_id.not_in(keep)
        )
    ).rowcount
    if dropped:
        record_event(
            actor=actor,
            action="keys.revoked",
            data={"subject": user.id, "subject_email": user.email, "keys": dropped},
            at=now,
        )
    return dropped


# --- recovery keys --------------------------------------------------------------------


def create_recovery_key(
    office: Office | None, *, now: datetime | None = None
) -> tuple[RecoveryKey, str]:
    """A new recovery key pair; returns the row and the private key's printable text,
    which is shown once and stored nowhere."""
    active = select(RecoveryKey).where(
        RecoveryKey.retired_at.is_(None),
        RecoveryKey.office_id == office.id if office else RecoveryKey.office_id.is_(None),
    )
    if db.session.scalar(active) is not None:
        raise SealingError(_l("This office already has a recovery key: rotate it instead."))
    pair = crypto.generate_key_pair()
    row = RecoveryKey(
        office=office,
        public_key=crypto.b64(pair.public),
        fingerprint=crypto.fingerprint(pair.public),
        created_at=now or utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    record_event(
        actor=None,
        action="keys.recovery_created",
        data={"office": office.code if office else None, "fingerprint": row.fingerprint},
        at=now,
    )
    return row, crypto.format_recovery_key(pair.private)


def rotate_recovery_key(
    old_private: bytes, *, now: datetime | None = None
) -> tuple[RecoveryKey, str, int]:
    """Replace a recovery key: every key wrapped to the old one is wrapped to the new
    one, then the old one is retired. Needs the old private key."""
    now = now or utcnow()
    old = recovery_key_matching(old_private)
    if old.retired_at is not None:
        raise SealingError(_l("This recovery key was already retired."))
    pair = crypto.generate_key_pair()
    new = RecoveryKey(
        office_id=old.office_id,
        public_key=crypto.b64(pair.public),
        fingerprint=crypto.fingerprint(pair.public),
        created_at=now,
    )
    db.session.add(new)
    db.session.flush()
    moved = 0
    last_id = 0
    while envelopes := db.session.scalars(
        select(KeyEnvelope)
        .where(KeyEnvelope.recovery_key_id == old.id, KeyEnvelope.id > last_id)
        .order_by(KeyEnvelope.id)
        .limit(GRANT_BATCH)
    ).all():
        for envelope in envelopes:
            envelope.wrapped = crypto.wrap(
                crypto.unwrap(envelope.wrapped, old_private), pair.public
            )
            envelope.recovery_key_id = new.id
        db.session.flush()
        moved += len(envelopes)
        last_id = envelopes[-1].id
    old.retired_at = now
    record_event(
        actor=None,
        action="keys.recovery_rotated",
        data={"old": old.fingerprint, "new": new.fingerprint, "keys": moved},
        at=now,
    )
    return new, crypto.format_recovery_key(pair.private), moved
