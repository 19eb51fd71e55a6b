"""The purpose a police or statutory disclosure is logged under.

A consent can name it (with the requesting organisation as a partner), which is how a
client's consent covers a disclosure to Immigration Enforcement or to a body that claims
no other basis. Created here, like consent's standard purposes, so every database has it.
"""

from django.db import migrations

KEY = "statutory-request"
NAME = "Responding to a police or statutory request"
DESCRIPTION = (
    "Answering a request for information about the client from the police, Immigration Enforcement, "
    "a local authority, the DWP, a court or another statutory body."
)


def create(apps, schema_editor):
    Purpose = apps.get_model("consent", "Purpose")
    Purpose.objects.get_or_create(key=KEY, defaults={"name": NAME, "description": DESCRIPTION})


class Migration(migrations.Migration):
    dependencies = [("sharing", "0002_statutory_requests"), ("consent", "0002_standard_purposes_and_policies")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
