"""``field__any=[...]``: membership in a list, sent to PostgreSQL as ONE array parameter
(``col = ANY(%s)``) instead of ``IN (%s, %s, …)`` with a placeholder per value. Imports ask about
thousands of values per batch; with IN, psycopg re-parses and quotes a query of thousands of
placeholders each time (about 45 µs per imported row). Other databases get a plain IN."""

from __future__ import annotations

from typing import Any

from django.db.models import Field, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any"

    def get_prep_lookup(self) -> Any:
        return [self.lhs.output_field.get_prep_value(v) for v in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        if connection.vendor != "postgresql":
            return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs]
        if not values:
            return "FALSE", []
        # Typed: psycopg sends a list of small ints as int2[], and bigint = ANY(int2[]) cannot
        # use the primary key index.
        db_type = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, values]


def register() -> None:
    Field.register_lookup(AnyOf)
