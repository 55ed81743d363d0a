"""Chinese search indexes (guanxi.customers.search_db): pg_trgm + a unigram/bigram GIN expression
index on PostgreSQL, FTS5 trigram tables kept in sync by triggers on SQLite. Each database only
runs its own half, so the migration is safe on both and reversible on both. Rows written before
search existed get their search_text and name_sort first, so the indexes start complete."""

from django.db import migrations


def backfill(apps, schema_editor):
    from guanxi.customers.search import backfill_search_fields

    for name in ("Account", "Contact"):
        model = apps.get_model("customers", name)
        backfill_search_fields(model._base_manager.using(schema_editor.connection.alias), only_missing=True)


def install(apps, schema_editor):
    from guanxi.customers import search_db

    search_db.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from guanxi.customers import search_db

    search_db.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0004_dedupe_fields"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(install, uninstall),
    ]
