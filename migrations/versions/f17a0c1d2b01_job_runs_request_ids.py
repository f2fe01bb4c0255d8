"""scheduler job runs; request ids on outbox messages and audit events (issue 17)

Revision ID: f17a0c1d2b01
Revises: f16a0c1d2b05
Create Date: 2026-12-06 21:00:00

Expand-only: a new table and two nullable columns, so hosts still running the
previous release keep working while the others are upgraded (docs/operations.md
§ Migrations). `audit_events` gains a column with ADD COLUMN, never a table
rebuild, which would drop its append-only triggers on SQLite.
"""
import sqlalchemy as sa
from alembic import op

import inspect_app.dbtypes

# revision identifiers, used by Alembic.
revision = 'f17a0c1d2b01'
down_revision = 'f16a0c1d2b05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scheduler_job_runs',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('last_success_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_job_runs')),
    )
    op.add_column('outbox_messages', sa.Column('request_id', sa.String(length=128), nullable=True))
    op.add_column('audit_events', sa.Column('request_id', sa.String(length=128), nullable=True))


def downgrade():
    op.drop_column('audit_events', 'request_id')
    op.drop_column('outbox_messages', 'request_id')
    op.drop_table('scheduler_job_runs')
