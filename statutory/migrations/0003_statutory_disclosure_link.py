"""The link from a request to the disclosures that answered it moves into this app.

It was `sharing.Disclosure.statutory_request`, a foreign key pointing up the layering
(sharing -> statutory). It becomes `StatutoryDisclosure` here (append-only, like the log);
every existing link is copied before `sharing` 0005 drops the old column.
"""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


def copy_links(apps, schema_editor):
    Disclosure = apps.get_model("sharing", "Disclosure")
    StatutoryDisclosure = apps.get_model("statutory", "StatutoryDisclosure")
    db = schema_editor.connection.alias
    rows = Disclosure.objects.using(db).filter(statutory_request__isnull=False).values_list("pk", "statutory_request_id")
    StatutoryDisclosure.objects.using(db).bulk_create(
        [StatutoryDisclosure(disclosure_id=pk, statutory_request_id=request_id) for pk, request_id in rows.iterator()],
        batch_size=1000,
    )


def copy_links_back(apps, schema_editor):
    # Only for unapplying: the log is append-only, so its trigger is set aside for the copy.
    import pgtrigger

    Disclosure = apps.get_model("sharing", "Disclosure")
    StatutoryDisclosure = apps.get_model("statutory", "StatutoryDisclosure")
    db = schema_editor.connection.alias
    links = StatutoryDisclosure.objects.using(db).values_list("disclosure_id", "statutory_request_id")
    with pgtrigger.ignore("sharing.Disclosure:disclosure_append_only"):
        for disclosure_id, request_id in links.iterator():
            Disclosure.objects.using(db).filter(pk=disclosure_id).update(statutory_request_id=request_id)


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0004_statutory_requests_move_out"),
        ("statutory", "0002_rename_tables"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatutoryDisclosure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "disclosure",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="statutory_link",
                        to="sharing.disclosure",
                    ),
                ),
                (
                    "statutory_request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="statutory.statutoryrequest"
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="statutoryrequest",
            name="disclosures",
            field=models.ManyToManyField(
                blank=True,
                related_name="statutory_requests",
                through="statutory.StatutoryDisclosure",
                to="sharing.disclosure",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="statutorydisclosure",
            trigger=pgtrigger.compiler.Trigger(
                name="statutory_disclosure_append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="601579c9931c6455f631927d86b199d9fd7f0278",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_statutory_disclosure_append_only_2a75d",
                    table="statutory_statutorydisclosure",
                    when="BEFORE",
                ),
            ),
        ),
        migrations.RunPython(copy_links, copy_links_back),
    ]
