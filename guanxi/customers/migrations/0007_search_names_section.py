"""search_text gets a names section (names and initials, then "|~|", then the rest), and on
PostgreSQL ``search_pairs`` pairs only that section (guanxi.customers.search_db): 1–2 character
queries look at names and initials only, and writing a row costs about half as much index work.

Every row's search_text is recomputed. On PostgreSQL the pairs column is dropped first, so the
backfill does not maintain an index that is about to change, and added back afterwards."""

from django.db import migrations


def forwards(apps, schema_editor):
    from guanxi.customers import search_db
    from guanxi.customers.search import backfill_search_fields

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in search_db.TABLES:
                cursor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_pairs")  # drops its index too
    for name in ("Account", "Contact"):
        model = apps.get_model("customers", name)
        backfill_search_fields(model._base_manager.using(connection.alias))
    search_db.install(connection)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0006_h7_classification_runs"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
