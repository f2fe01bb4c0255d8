"""text kept from a refused POST until the officer logs in again (issue 15)

Revision ID: e15a0c1d2b03
Revises: e15a0c1d2b02
Create Date: 2026-12-06 19:00:00

"""
from alembic import op
import sqlalchemy as sa

import inspect_app.dbtypes


# revision identifiers, used by Alembic.
revision = 'e15a0c1d2b03'
down_revision = 'e15a0c1d2b02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kept_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('page', sa.String(length=300), nullable=False),
    sa.Column('fields_json', sa.Text(), nullable=False),
    sa.Column('created_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kept_texts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kept_texts')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_kept_texts_token_hash'))
    )
    with op.batch_alter_table('kept_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kept_texts_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('kept_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kept_texts_created_at'))

    op.drop_table('kept_texts')
