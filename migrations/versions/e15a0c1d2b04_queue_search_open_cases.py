"""queue indexes for searches in open cases and the national scope (PostgreSQL)

Revision ID: e15a0c1d2b04
Revises: e15a0c1d2b03
Create Date: 2026-12-06 19:30:00

Written by hand; measured with bench/run.py on 1,000,000 bulk cases (see
docs/performance.md). The default queue lists open cases (~6 % of all): a search
there read the trigram posting lists of every case ("pham" of "mỹ phẩm": 206,015
entries nationally) before keeping the open ones. The same trigram indexes partial
on the open states — nationally, and with the province or the team in front
(btree_gin) — hold 6 % of those entries. And a national account's queue filtered
by state and deadline had no index in its order: (status, next_due, id) on the open
states.

PostgreSQL only, like the other search indexes; listed in dbsetup.DATABASE_ONLY_INDEXES.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e15a0c1d2b04'
down_revision = 'e15a0c1d2b03'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'accepted', 'assigned', 'investigating')"
INDEXES = {
    "ix_cases_open_search_trgm": f"ON cases USING gin (search_text gin_trgm_ops) WHERE {OPEN}",
    "ix_cases_open_province_search_trgm": (
        f"ON cases USING gin (province_code, search_text gin_trgm_ops) WHERE {OPEN}"
    ),
    "ix_cases_open_team_search_trgm": (
        f"ON cases USING gin (team_id, search_text gin_trgm_ops) WHERE {OPEN}"
    ),
    "ix_cases_open_status_due": f"ON cases (status, next_due, id) WHERE {OPEN}",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX {name} {definition}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
