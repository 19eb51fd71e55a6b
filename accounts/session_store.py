"""Django's database session store, reading a session with a statement written once per process.

Every request of a signed-in person loads their session; Django's store builds an ORM query
for it each time, which cost more CPU than running it (BENCHMARKS.md). Same table, same
rule (this key, not yet expired), same answer; writing, deleting and everything else is
Django's `db` backend unchanged. settings.SESSION_ENGINE names this module.
"""

import functools

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


@functools.cache
def _select_sql(model, alias: str) -> str:
    # Identifiers from model metadata only; every value is a parameter.
    qn, meta = connections[alias].ops.quote_name, model._meta
    data, key, expires = (qn(meta.get_field(name).column) for name in ("session_data", "session_key", "expire_date"))
    return f"SELECT {data}, {expires} FROM {qn(meta.db_table)} WHERE {key} = %s AND {expires} > %s"  # noqa: S608 (identifiers from model metadata)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The live Session row of this key, or None (and the key forgotten), as Django's store does."""
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(
                _select_sql(model, alias),
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        expire_field = model._meta.get_field("expire_date")
        expression = expire_field.get_col(model._meta.db_table)
        expire_date = row[1]
        for convert in [*connection.ops.get_db_converters(expression), *expire_field.get_db_converters(connection)]:
            expire_date = convert(expire_date, expression, connection)
        return model(session_key=self.session_key, session_data=row[0], expire_date=expire_date)
