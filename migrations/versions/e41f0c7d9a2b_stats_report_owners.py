"""stats reports: owned by an association or an office; periods within 2000-2100

Drafts and publications belong to the association or office of the staff member who
built them (filled in here from `created_by`). Drafts whose period lies outside
01/01/2000 - 31/12/2100 could never be opened (their figures overflow) and are
removed; a check now keeps such periods out.

The trigger that keeps published rows immutable is dropped while the owners are
filled in and created again afterwards (on SQLite the batch rebuild of the table
drops it anyway).

Revision ID: e41f0c7d9a2b
Revises: 3a4300ff13a4
Create Date: 2026-12-06 18:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'e41f0c7d9a2b'
down_revision = '3a4300ff13a4'
branch_labels = None
depends_on = None

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
PERIOD_IN_RANGE = "period_start >= '2000-01-01' AND period_end <= '2100-12-31'"


def _drop_trigger(dialect):
    if dialect == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS stats_reports_published_immutable ON stats_reports')
    else:
        op.execute('DROP TRIGGER IF EXISTS stats_reports_published_immutable')


def _create_trigger(dialect):
    op.execute(PG_TRIGGER if dialect == 'postgresql' else SQLITE_TRIGGER)


def upgrade():
    dialect = op.get_bind().dialect.name
    _drop_trigger(dialect)
    op.execute(f"DELETE FROM stats_reports WHERE status = 'draft' AND NOT ({PERIOD_IN_RANGE})")
    with op.batch_alter_table('stats_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('association_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_stats_reports_association_id_associations'), 'associations',
            ['association_id'], ['id'],
        )
        batch_op.create_foreign_key(
            op.f('fk_stats_reports_office_id_offices'), 'offices', ['office_id'], ['id']
        )
        batch_op.create_check_constraint(
            op.f('ck_stats_reports_one_owner'), 'association_id IS NULL OR office_id IS NULL'
        )
        batch_op.create_check_constraint(
            op.f('ck_stats_reports_period_in_range'), PERIOD_IN_RANGE
        )
    _fill_owners()
    _create_trigger(dialect)


def _fill_owners():
    """The association or office of the staff member who built each report."""
    op.execute(
        "UPDATE stats_reports SET association_id = (SELECT u.association_id FROM users u "
        "WHERE u.id = stats_reports.created_by_id AND u.role = 'association_staff')"
    )
    op.execute(
        "UPDATE stats_reports SET office_id = (SELECT u.office_id FROM users u "
        "WHERE u.id = stats_reports.created_by_id AND u.role = 'director') "
        "WHERE association_id IS NULL"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    _drop_trigger(dialect)
    with op.batch_alter_table('stats_reports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stats_reports_period_in_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_stats_reports_one_owner'), type_='check')
        batch_op.drop_constraint(op.f('fk_stats_reports_office_id_offices'), type_='foreignkey')
        batch_op.drop_constraint(
            op.f('fk_stats_reports_association_id_associations'), type_='foreignkey'
        )
        batch_op.drop_column('office_id')
        batch_op.drop_column('association_id')
    _create_trigger(dialect)
