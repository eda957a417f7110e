"""process caches: one generation number, bumped by the database whenever rows a process caches change

Web processes keep the calendar, duty rosters, bearer tokens and SMS opt-outs in memory (app/reference/freshness.py) and
re-read this number at most once a second: triggers bump it on any write to those rows, whichever process
(or `psql`) made it, so no code path can forget to.

Revision ID: 0019_process_caches
Revises: 0018_case_lists
Create Date: 2026-11-30 23:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_process_caches"
down_revision = "0018_case_lists"
branch_labels = None
depends_on = None

# (table, the UPDATE that matters): a token's last use is noted once a minute and changes nothing cached.
WATCHED = (
    ("calendar_overrides", "UPDATE"),
    ("official_calendar_years", "UPDATE"),
    ("roster_shifts", "UPDATE"),
    ("roster_overrides", "UPDATE"),
    ("api_tokens", "UPDATE OF revoked_at, expires_at, user_id, token_hash"),
    ("users", "UPDATE OF active, role, agency_id, username"),
    ("sms_opt_outs", "UPDATE"),
)
# One counter per table: the bump holds its row's lock until the writer commits, and a typhoon day's override
# (which recomputes every open case in its transaction) must not hold up a STOP reply or a token's revocation.
BUMP = "UPDATE cache_generation SET generation = generation + 1 WHERE id = {row}"


def upgrade() -> None:
    op.create_table(
        "cache_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_generation")),
    )
    for row, _watched in enumerate(WATCHED, start=1):
        op.execute(f"INSERT INTO cache_generation (id, generation) VALUES ({row}, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""CREATE FUNCTION bump_cache_generation() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN {BUMP.format(row="TG_ARGV[0]::integer")}; RETURN NULL; END $$"""
        )
        for row, (table, update) in enumerate(WATCHED, start=1):
            op.execute(
                f"""CREATE TRIGGER {table}_bump_cache AFTER INSERT OR DELETE OR TRUNCATE OR {update} ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation({row})"""
            )
        return
    for row, (table, update) in enumerate(WATCHED, start=1):
        for what in ("INSERT", "DELETE", update):
            name = f"{table}_bump_cache_{what.split()[0].lower()}"
            op.execute(f"CREATE TRIGGER {name} AFTER {what} ON {table} BEGIN {BUMP.format(row=row)}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, update in WATCHED:
        if postgres:
            op.execute(f"DROP TRIGGER {table}_bump_cache ON {table}")
            continue
        for what in ("INSERT", "DELETE", update):
            op.execute(f"DROP TRIGGER {table}_bump_cache_{what.split()[0].lower()}")
    if postgres:
        op.execute("DROP FUNCTION bump_cache_generation()")
    op.drop_table("cache_generation")
