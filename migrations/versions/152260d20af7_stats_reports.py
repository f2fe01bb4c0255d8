"""stats reports: drafts and published, immutable statistics snapshots

Revision ID: 152260d20af7
Revises: 7fe4f9748577
Create Date: 2026-11-24 14:00:00.000000

Written by hand. Also two covering indexes on cases that serve the statistics
(declared in inspect_app/stats/models.py). A trigger refuses UPDATE of a published row (the services refuse
first; corrections are new rows). Alembic does not compare triggers. NOTE: a later
batch migration that recreates stats_reports on SQLite drops the trigger and must
create it again (SQLITE_TRIGGER below).
"""
from alembic import op
import sqlalchemy as sa

import inspect_app.dbtypes


# revision identifiers, used by Alembic.
revision = '152260d20af7'
down_revision = '7fe4f9748577'
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE FUNCTION stats_reports_published_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'published statistics reports are immutable (report %)', OLD.id;
END;
$$
"""
PG_TRIGGER = (
    "CREATE TRIGGER stats_reports_published_immutable BEFORE UPDATE ON stats_reports "
    "FOR EACH ROW WHEN (OLD.status = 'published') "
    "EXECUTE FUNCTION stats_reports_published_immutable()"
)
SQLITE_TRIGGER = (
    "CREATE TRIGGER stats_reports_published_immutable BEFORE UPDATE ON stats_reports "
    "WHEN OLD.status = 'published' "
    "BEGIN SELECT RAISE(ABORT, 'published statistics reports are immutable'); END"
)


def upgrade():
    op.create_table('stats_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('commentary', sa.Text(), nullable=False),
    sa.Column('period_type', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('data_json', sa.Text(), nullable=True),
    sa.Column('data_sha256', sa.String(length=64), nullable=True),
    sa.Column('data_version', sa.String(length=80), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('correction_note', sa.Text(), nullable=False),
    sa.CheckConstraint("period_type IN ('month', 'quarter', 'year', 'custom')", name=op.f('ck_stats_reports_period_type_known')),
    sa.CheckConstraint("status = 'draft' OR (data_json IS NOT NULL AND data_sha256 IS NOT NULL AND data_version IS NOT NULL AND published_by_id IS NOT NULL AND published_at IS NOT NULL)", name=op.f('ck_stats_reports_published_is_complete')),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_stats_reports_status_known')),
    sa.CheckConstraint("supersedes_id IS NULL OR correction_note <> ''", name=op.f('ck_stats_reports_correction_has_note')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_stats_reports_period_ordered')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_stats_reports_created_by_id_users')),
    sa.ForeignKeyConstraint(['province_code'], ['provinces.code'], name=op.f('fk_stats_reports_province_code_provinces')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_stats_reports_published_by_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['stats_reports.id'], name=op.f('fk_stats_reports_supersedes_id_stats_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_reports')),
    # One correction per version; its index also serves "which version supersedes X".
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_stats_reports_supersedes_id'))
    )
    with op.batch_alter_table('stats_reports', schema=None) as batch_op:
        batch_op.create_index('ix_stats_reports_status_published_at', ['status', 'published_at'], unique=False)

    # Covering indexes for the statistics' queries (inspect_app/stats/models.py).
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_stats_resolved', ['resolved_at', 'status', 'province_code', 'category_id', 'outcome', 'source', 'kind', 'ward_code', 'received_at', 'resolve_due', 'fine_amount', 'goods_value'], unique=False)
        batch_op.create_index('ix_cases_stats_received', ['received_at', 'status', 'province_code'], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    elif dialect == 'sqlite':
        op.execute(SQLITE_TRIGGER)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS stats_reports_published_immutable ON stats_reports')
        op.execute('DROP FUNCTION IF EXISTS stats_reports_published_immutable()')
    elif dialect == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS stats_reports_published_immutable')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_stats_received')
        batch_op.drop_index('ix_cases_stats_resolved')

    with op.batch_alter_table('stats_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_stats_reports_status_published_at')

    op.drop_table('stats_reports')
