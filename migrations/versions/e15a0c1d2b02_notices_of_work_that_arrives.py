"""notices of work that arrives: new kinds, preferences, digest (issue 15)

Revision ID: e15a0c1d2b02
Revises: e15a0c1d2b01
Create Date: 2026-12-06 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e15a0c1d2b02'
down_revision = 'e15a0c1d2b01'
branch_labels = None
depends_on = None

OLD_KINDS = ('reminder', 'overdue', 'escalation', 'digest', 'reporter', 'account')
NEW_KINDS = OLD_KINDS + ('assigned', 'reporter_info', 'reopened', 'triage', 'approval')


def _kinds(kinds) -> str:
    return f"kind IN ({', '.join(repr(k) for k in kinds)})"


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('delivery', sa.String(length=10), nullable=False),
    sa.CheckConstraint("delivery IN ('immediate', 'digest')", name=op.f('ck_notification_preferences_delivery_known')),
    sa.CheckConstraint(_kinds(NEW_KINDS), name=op.f('ck_notification_preferences_kind_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_key', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('digest_pending', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_notifications_event_key'), ['event_key'])
        batch_op.create_index('ix_notifications_digest_pending_user_id', ['digest_pending', 'user_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_notifications_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known', _kinds(NEW_KINDS))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_messages_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known', _kinds(NEW_KINDS))


def downgrade():
    op.execute(sa.text(f"DELETE FROM notifications WHERE NOT ({_kinds(OLD_KINDS)})"))
    op.execute(sa.text(f"DELETE FROM outbox_messages WHERE NOT ({_kinds(OLD_KINDS)})"))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_messages_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known', _kinds(OLD_KINDS))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_notifications_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known', _kinds(OLD_KINDS))
        batch_op.drop_index('ix_notifications_digest_pending_user_id')
        batch_op.drop_constraint(batch_op.f('uq_notifications_event_key'), type_='unique')
        batch_op.drop_column('digest_pending')
        batch_op.drop_column('event_key')

    op.drop_table('notification_preferences')
