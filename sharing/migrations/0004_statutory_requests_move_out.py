"""Police and statutory requests now belong to the `statutory` app (its 0001 took them over).

State only: the tables stay as they are, and `statutory` renames them in its 0002. The
disclosure log's link to a request is repointed in the state first, then (after
`statutory` 0003 has copied it into `statutory.StatutoryDisclosure`) removed by 0005.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0003_statutory_purpose"),
        ("statutory", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="disclosure",
                    name="statutory_request",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="statutory.statutoryrequest",
                    ),
                ),
                migrations.DeleteModel(name="StatutoryAlert"),
                migrations.DeleteModel(name="StatutoryDocument"),
                migrations.DeleteModel(name="HistoricalStatutoryRequest"),
                migrations.DeleteModel(name="StatutoryRequest"),
            ],
            database_operations=[],
        ),
    ]
