"""case_counts: cases per team, province and state, kept by triggers

Revision ID: 38a5d9a9aa06
Revises: 6d3bb988d5fa
Create Date: 2026-11-23 20:10:00.000000

Written by hand. The queue shows how many cases of the user's scope are in each
state; counting a province's 125,000 cases takes ~20 ms even from an index, so the
counts are kept in `case_counts` (declared in inspect_app/cases/queue.py), changed
by triggers in the same transaction as every INSERT, UPDATE (of status, team or
province) and DELETE of `cases`: exact, never recomputed. `team_key` is the team id,
0 for cases without a team.

On PostgreSQL, inserts and deletes are counted once per statement (COPY of the bulk
seeder included); an update changes its two rows in key order, so two opposite moves
cannot deadlock. Deletes only decrement existing rows.

NOTE: a later batch migration that recreates `cases` on SQLite drops the triggers and
must create them again (SQLITE_TRIGGERS below); tests/cases/test_case_counts.py fails
if they are missing. Alembic does not compare triggers.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '38a5d9a9aa06'
down_revision = '6d3bb988d5fa'
branch_labels = None
depends_on = None

FILL = """
INSERT INTO case_counts (team_key, province_code, status, n)
SELECT coalesce(team_id, 0), province_code, status, count(*) FROM cases GROUP BY 1, 2, 3
"""

PG_FUNCTIONS = (
    """
CREATE FUNCTION case_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_counts AS c (team_key, province_code, status, n)
    SELECT coalesce(team_id, 0), province_code, status, count(*) FROM added
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (team_key, province_code, status) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END;
$$
""",
    """
CREATE FUNCTION case_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_counts AS c (team_key, province_code, status, n)
    SELECT * FROM (VALUES
        (coalesce(OLD.team_id, 0), OLD.province_code, OLD.status, -1),
        (coalesce(NEW.team_id, 0), NEW.province_code, NEW.status, 1)
    ) AS move (team_key, province_code, status, n)
    ORDER BY 1, 2, 3
    ON CONFLICT (team_key, province_code, status) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END;
$$
""",
    """
CREATE FUNCTION case_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_counts AS c SET n = c.n - gone.n
    FROM (
        SELECT coalesce(team_id, 0) AS team_key, province_code, status, count(*) AS n
        FROM removed GROUP BY 1, 2, 3
    ) AS gone
    WHERE (c.team_key, c.province_code, c.status)
        = (gone.team_key, gone.province_code, gone.status);
    RETURN NULL;
END;
$$
""",
    """
CREATE FUNCTION case_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM case_counts;
    RETURN NULL;
END;
$$
""",
)
PG_TRIGGERS = (
    "CREATE TRIGGER case_counts_add AFTER INSERT ON cases REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION case_counts_add()",
    "CREATE TRIGGER case_counts_move AFTER UPDATE OF status, team_id, province_code ON cases "
    "FOR EACH ROW WHEN ((OLD.status, OLD.team_id, OLD.province_code) "
    "IS DISTINCT FROM (NEW.status, NEW.team_id, NEW.province_code)) "
    "EXECUTE FUNCTION case_counts_move()",
    "CREATE TRIGGER case_counts_remove AFTER DELETE ON cases REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION case_counts_remove()",
    "CREATE TRIGGER case_counts_clear AFTER TRUNCATE ON cases "
    "FOR EACH STATEMENT EXECUTE FUNCTION case_counts_clear()",
)
PG_NAMES = ("case_counts_add", "case_counts_move", "case_counts_remove", "case_counts_clear")

_SQLITE_ADD = (
    "INSERT INTO case_counts (team_key, province_code, status, n) "
    "VALUES (coalesce(NEW.team_id, 0), NEW.province_code, NEW.status, 1) "
    "ON CONFLICT (team_key, province_code, status) DO UPDATE SET n = n + 1;"
)
_SQLITE_REMOVE = (
    "UPDATE case_counts SET n = n - 1 WHERE team_key = coalesce(OLD.team_id, 0) "
    "AND province_code = OLD.province_code AND status = OLD.status;"
)
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER case_counts_add AFTER INSERT ON cases BEGIN {_SQLITE_ADD} END",
    "CREATE TRIGGER case_counts_move AFTER UPDATE OF status, team_id, province_code ON cases "
    "WHEN OLD.status IS NOT NEW.status OR OLD.team_id IS NOT NEW.team_id "
    "OR OLD.province_code IS NOT NEW.province_code "
    f"BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
    f"CREATE TRIGGER case_counts_remove AFTER DELETE ON cases BEGIN {_SQLITE_REMOVE} END",
)
SQLITE_NAMES = ("case_counts_add", "case_counts_move", "case_counts_remove")


def upgrade():
    op.create_table('case_counts',
    sa.Column('team_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('province_code', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('team_key', 'province_code', 'status', name=op.f('pk_case_counts'))
    )
    # The triggers first: creating them locks `cases` against writes until this
    # migration commits, so no change falls between the fill and the triggers.
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        for statement in (*PG_FUNCTIONS, *PG_TRIGGERS):
            op.execute(statement)
    elif dialect == 'sqlite':
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute(FILL)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        for name in PG_NAMES:
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON cases')
            op.execute(f'DROP FUNCTION IF EXISTS {name}()')
    elif dialect == 'sqlite':
        for name in SQLITE_NAMES:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    op.drop_table('case_counts')
