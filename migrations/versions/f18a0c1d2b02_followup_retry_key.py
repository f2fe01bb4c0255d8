"""follow-ups remember the form that sent them, so a resent form adds nothing

Revision ID: f18a0c1d2b02
Revises: f17a0c1d2b01
Create Date: 2026-12-06 23:40:00

Expand-only: a nullable column and a unique index (NULLs never collide), added
without rebuilding the table, so hosts on the previous release keep working.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f18a0c1d2b02'
down_revision = 'f17a0c1d2b01'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('reporter_messages', sa.Column('retry_key_hash', sa.String(length=64), nullable=True))
    op.create_index(
        'ix_reporter_messages_retry_key_hash', 'reporter_messages', ['retry_key_hash'], unique=True
    )


def downgrade():
    op.drop_index('ix_reporter_messages_retry_key_hash', table_name='reporter_messages')
    op.drop_column('reporter_messages', 'retry_key_hash')
