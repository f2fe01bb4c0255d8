"""API credentials (partner keys, staff tokens), idempotent requests, reports'
partner key

Revision ID: f16a0c1d2b05
Revises: e15a0c1d2b14
Create Date: 2026-12-06 21:00:00

"""

import sqlalchemy as sa
from alembic import op

from inspect_app.dbtypes import UTCDateTime

# revision identifiers, used by Alembic.
revision = "f16a0c1d2b05"
down_revision = "e15a0c1d2b14"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("province_code", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('partner', 'staff')", name=op.f("ck_api_credentials_kind_known")
        ),
        sa.CheckConstraint(
            "channel IS NULL OR channel IN ('hotline', 'app', 'zalo', 'ecommerce', 'portal')",
            name=op.f("ck_api_credentials_channel"),
        ),
        sa.CheckConstraint(
            "kind <> 'staff' OR user_id IS NOT NULL", name=op.f("ck_api_credentials_staff_has_user")
        ),
        sa.CheckConstraint(
            "kind <> 'partner' OR channel IS NOT NULL",
            name=op.f("ck_api_credentials_partner_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_api_credentials_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_api_credentials_province_code_provinces"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_api_credentials_revoked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_credentials_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_credentials")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_credentials_secret_hash")),
    )
    with op.batch_alter_table("api_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_credentials_user_id"), ["user_id"], unique=False)

    op.create_table(
        "idempotent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response_enc", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_requests")),
        sa.UniqueConstraint("scope", "key_hash", name="uq_idempotent_requests_scope_key"),
    )
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.create_index("ix_idempotent_requests_expires_at", ["expires_at"], unique=False)

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_credential_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_reports_api_credential_id"), ["api_credential_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_api_credential_id_api_credentials"),
            "api_credentials",
            ["api_credential_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reports_api_credential_id_api_credentials"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_reports_api_credential_id"))
        batch_op.drop_column("api_credential_id")
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotent_requests_expires_at")
    op.drop_table("idempotent_requests")
    with op.batch_alter_table("api_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_credentials_user_id"))
    op.drop_table("api_credentials")
