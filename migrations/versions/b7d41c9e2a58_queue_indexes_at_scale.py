"""queue and statistics indexes for a million cases (PostgreSQL)

Revision ID: b7d41c9e2a58
Revises: 152260d20af7
Create Date: 2026-11-24 16:00:00.000000

Written by hand; measured with bench/run.py on 1,000,000 bulk cases (see
docs/performance.md). The queue's deadline order inside a scope:

- open cases (the default queue) of a team or a province, partial on the open
  states, so the first page reads 51 index entries instead of every open case;
- all states of a team or a province, for "All states" and deep keyset pages;
- the trigram search within a team or a province (btree_gin puts the scope and the
  trigrams in one GIN index), so a search rechecks the scope's matches only.

And the statistics of a period (stats/aggregates.py): covering indexes on the
resolution and receipt times, so a year's figures are index-only range scans
instead of visits to every case of the year scattered over the table.

PostgreSQL only, like ix_cases_search_trgm: SQLite databases stay small. The models
do not declare them; dbsetup.DATABASE_ONLY_INDEXES hides them from `flask db check`.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7d41c9e2a58'
down_revision = '152260d20af7'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'accepted', 'assigned', 'investigating')"
INDEXES = (
    f"CREATE INDEX ix_cases_open_team_due ON cases (team_id, next_due, id) WHERE {OPEN}",
    f"CREATE INDEX ix_cases_open_province_due ON cases (province_code, next_due, id) WHERE {OPEN}",
    "CREATE INDEX ix_cases_team_due ON cases (team_id, next_due, id)",
    "CREATE INDEX ix_cases_province_due ON cases (province_code, next_due, id)",
    "CREATE INDEX ix_cases_team_search_trgm ON cases USING gin (team_id, search_text gin_trgm_ops)",
    "CREATE INDEX ix_cases_province_search_trgm ON cases"
    " USING gin (province_code, search_text gin_trgm_ops)",
    "CREATE INDEX ix_cases_resolved_stats ON cases (resolved_at) INCLUDE (province_code,"
    " category_id, outcome, source, kind, ward_code, received_at, resolve_due, fine_amount,"
    " goods_value) WHERE status IN ('resolved', 'closed')",
    "CREATE INDEX ix_cases_received_stats ON cases (received_at) INCLUDE (province_code)"
    " WHERE status <> 'merged'",
)
NAMES = (
    "ix_cases_open_team_due",
    "ix_cases_open_province_due",
    "ix_cases_team_due",
    "ix_cases_province_due",
    "ix_cases_team_search_trgm",
    "ix_cases_province_search_trgm",
    "ix_cases_resolved_stats",
    "ix_cases_received_stats",
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for statement in INDEXES:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in NAMES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
