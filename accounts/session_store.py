"""Django's database session store, reading a session with a statement written once per process.

Every request of a signed-in person loads their session; Django's store builds an ORM query
for it each time, which cost more CPU than running it (BENCHMARKS.md). Same table, same
rule (this key, not yet expired), same answer; writing, deleting and everything else is
Django's `db` backend unchanged. settings.SESSION_ENGINE names this module. The same
statement reads whose one live session the key is (accounts.middleware's check).
"""

import functools

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from .models import ActiveSession


@functools.cache
def _select_sql(model, alias: str) -> str:
    # Identifiers from model metadata only; every value is a parameter.
    qn, meta = connections[alias].ops.quote_name, model._meta
    data, key, expires = (qn(meta.get_field(name).column) for name in ("session_data", "session_key", "expire_date"))
    active = ActiveSession._meta
    active_user, active_key = (qn(active.get_field(name).column) for name in ("user", "session_key"))
    # With it, whose one live session (ActiveSession) this key is, if anyone's: the middleware's
    # one-session check then needs no query of its own (`active_for`).
    owner = f"(SELECT a.{active_user} FROM {qn(active.db_table)} a WHERE a.{active_key} = s.{key} LIMIT 1)"  # noqa: S608 (identifiers from model metadata)
    return f"SELECT s.{data}, s.{expires}, {owner} FROM {qn(meta.db_table)} s WHERE s.{key} = %s AND s.{expires} > %s"  # noqa: S608 (identifiers from model metadata)


class SessionStore(db.SessionStore):
    # (key, user id) of the ActiveSession row naming the key when the session was read.
    _active = (None, None)

    def active_for(self, user_id) -> bool:
        """Whether, when this session was read, it was `user_id`'s one live session (their
        ActiveSession row named its key). False when unknown: ask `accounts.selectors`."""
        key, owner = self._active
        return owner is not None and owner == user_id and key is not None and key == self.session_key

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
        self._active = (None, None)
        if row is None:
            self._session_key = None
            return None
        self._active = (self.session_key, row[2])
        expire_field = model._meta.get_field("expire_date")
        expression = expire_field.get_col(model._meta.db_table)
        expire_date = row[1]
        for convert in [*connection.ops.get_db_converters(expression), *expire_field.get_db_converters(connection)]:
            expire_date = convert(expire_date, expression, connection)
        return model(session_key=self.session_key, session_data=row[0], expire_date=expire_date)
