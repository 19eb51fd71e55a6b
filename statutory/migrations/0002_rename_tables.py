"""The tables moved from `sharing` take this app's names. Rows, ids and history are untouched.

PostgreSQL keeps foreign keys pointing at a renamed table (they refer to it, not its name);
SQLite (3.26 and later) rewrites the references in the other tables' definitions.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("statutory", "0001_initial"),
        ("sharing", "0004_statutory_requests_move_out"),
    ]

    operations = [
        migrations.AlterModelTable(name="statutoryrequest", table=None),
        migrations.AlterModelTable(name="historicalstatutoryrequest", table=None),
        migrations.AlterModelTable(name="statutorydocument", table=None),
        migrations.AlterModelTable(name="statutoryalert", table=None),
    ]
