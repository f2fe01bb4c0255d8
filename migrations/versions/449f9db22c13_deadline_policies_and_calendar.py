"""deadline policies and calendar overrides

Revision ID: 449f9db22c13
Revises: 1d95376b6034
Create Date: 2026-11-23 17:30:00.000000

Written by hand. No rows are seeded here: `flask refdata load` adds the default
policies and the official calendar swaps.
"""
from alembic import op
import sqlalchemy as sa

import inspect_app.dbtypes


# revision identifiers, used by Alembic.
revision = '449f9db22c13'
down_revision = "c3ce0a26bc0e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('created_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_overrides'))
    )
    op.create_table('deadline_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('accept_working_days', sa.Integer(), nullable=False),
    sa.Column('notify_working_days', sa.Integer(), nullable=False),
    sa.Column('resolve_days', sa.Integer(), nullable=False),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('max_extensions', sa.Integer(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('tip', 'denunciation', 'complaint')", name=op.f('ck_deadline_policies_kind_known')),
    sa.CheckConstraint("priority IS NULL OR priority IN ('normal', 'urgent')", name=op.f('ck_deadline_policies_priority_known')),
    sa.CheckConstraint('accept_working_days >= 0 AND notify_working_days >= 0 AND resolve_days >= 0 AND extension_days >= 0 AND max_extensions >= 0', name=op.f('ck_deadline_policies_periods_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_deadline_policies_category_id_categories')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_deadline_policies_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_policies'))
    )


def downgrade():
    op.drop_table('deadline_policies')
    op.drop_table('calendar_overrides')
