"""Indexes for the reads that start from ``visible_to`` — "owner in (me / my people)" — on PostgreSQL
(issue 5 item 12: board, forecast and dashboard with a million opportunities).

* ``sales_opp_owner_board``: a board column is "these owners' deals of one stage, highest rank
  first" — the first cards are an index range, and the INCLUDE columns let the column counts and
  totals and the dashboard's pipeline by stage read the index alone.
* ``sales_opp_owner_open``: open deals by expected close (the weighted forecast, month-start snapshots).
* ``sales_opp_owner_closed``: closed deals by close time (actual won per month, forecast accuracy).

Covering (INCLUDE) partial indexes are PostgreSQL's; on other databases nothing is created (the
test database is small). Built CONCURRENTLY so that writes go on while a large table is indexed.
"""

from django.db import migrations

INDEXES = {
    "sales_opp_owner_board": "(owner_id, stage_id, board_rank DESC, id DESC) "
                             "INCLUDE (pipeline_id, is_open, closed_at, amount, currency, probability) WHERE deleted_at IS NULL",
    "sales_opp_owner_open": "(owner_id, expected_close) INCLUDE (stage_id, pipeline_id, team_id, amount, probability) "
                            "WHERE is_open AND deleted_at IS NULL",
    "sales_opp_owner_closed": "(owner_id, closed_at) INCLUDE (stage_id, team_id, amount) WHERE NOT is_open AND deleted_at IS NULL",
}


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON sales_opportunity {definition}")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("sales", "0004_call_quality_rollup")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
