"""audit reviews: random samples of resolved cases and their verdicts

Revision ID: 5f488954992c
Revises: 653ad398d6fc
Create Date: 2026-11-24 10:00:00.000000

Written by hand.
"""
from alembic import op
import sqlalchemy as sa

import inspect_app.dbtypes


# revision identifiers, used by Alembic.
revision = '5f488954992c'
down_revision = '653ad398d6fc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('requested_size', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_audit_reviews_period_ordered')),
    sa.CheckConstraint('requested_size >= 1', name=op.f('ck_audit_reviews_size_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_audit_reviews_created_by_id_users')),
    sa.ForeignKeyConstraint(['province_code'], ['provinces.code'], name=op.f('fk_audit_reviews_province_code_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_reviews'))
    )
    op.create_table('audit_review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("verdict IN ('pending', 'ok', 'reopened', 'noted')", name=op.f('ck_audit_review_items_verdict_known')),
    sa.CheckConstraint("(verdict = 'pending') = (reviewed_at IS NULL)", name=op.f('ck_audit_review_items_reviewed_when_done')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_audit_review_items_case_id_cases')),
    sa.ForeignKeyConstraint(['review_id'], ['audit_reviews.id'], name=op.f('fk_audit_review_items_review_id_audit_reviews')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_audit_review_items_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_review_items')),
    # Covers (review_id, case_id); its index also serves lookups by review_id.
    sa.UniqueConstraint('review_id', 'case_id', name=op.f('uq_audit_review_items_review_id'))
    )


def downgrade():
    op.drop_table('audit_review_items')
    op.drop_table('audit_reviews')
