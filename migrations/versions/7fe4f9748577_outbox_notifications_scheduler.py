"""outbox, in-app notifications, scheduler lock

Revision ID: 7fe4f9748577
Revises: 5f488954992c
Create Date: 2026-11-24 12:00:00.000000

Written by hand. `outbox_messages` holds every e-mail to send, keyed so that the
same decision never queues twice; `notifications` is what officers see in the app;
`scheduler_locks` keeps a second scheduler process waiting (SQLite; PostgreSQL
uses an advisory lock).
"""
from alembic import op
import sqlalchemy as sa

import inspect_app.dbtypes


# revision identifiers, used by Alembic.
revision = '7fe4f9748577'
down_revision = '5f488954992c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_locks',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_locks'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('reminder', 'overdue', 'escalation', 'digest', 'reporter')", name=op.f('ck_notifications_kind_known')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notifications_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id_read_at', ['user_id', 'read_at'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('recipient_enc', sa.Text(), nullable=False),
    sa.Column('recipient_user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('claimed_until', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', inspect_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('reminder', 'overdue', 'escalation', 'digest', 'reporter')", name=op.f('ck_outbox_messages_kind_known')),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name=op.f('ck_outbox_messages_status_known')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outbox_messages_case_id_cases')),
    sa.ForeignKeyConstraint(['recipient_user_id'], ['users.id'], name=op.f('fk_outbox_messages_recipient_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_messages_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next_attempt_at')

    op.drop_table('outbox_messages')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_id_read_at')

    op.drop_table('notifications')
    op.drop_table('scheduler_locks')
