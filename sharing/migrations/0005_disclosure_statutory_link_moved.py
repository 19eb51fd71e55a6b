"""`Disclosure.statutory_request` is gone: `statutory` 0003 copied every link into its own
`StatutoryDisclosure`, so `sharing` no longer depends on `statutory`."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0004_statutory_requests_move_out"),
        ("statutory", "0003_statutory_disclosure_link"),
    ]

    operations = [
        migrations.RemoveField(model_name="disclosure", name="statutory_request"),
    ]
