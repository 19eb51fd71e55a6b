"""Police and statutory requests move from `sharing` into this app, without touching a row.

The tables exist already (created by sharing's 0002): this migration only tells Django's
state that the models now belong here, still on their old tables. `sharing` 0004 then
drops them from its own state, and 0002 here renames the tables. The content types (and so
the permissions, role groups and admin log that point at them) are moved, not recreated.
"""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models

MODELS = ("statutoryrequest", "historicalstatutoryrequest", "statutorydocument", "statutoryalert")


def move_content_types(apps, schema_editor, *, source="sharing", target="statutory"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="statutory", target="sharing")


STATE_OPERATIONS = [
    migrations.CreateModel(
        name='HistoricalStatutoryRequest',
        fields=[
            ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
            ('reference', models.CharField(db_index=True, max_length=30)),
            ('body', models.CharField(choices=[('police', 'Police force'), ('immigration', 'Immigration Enforcement (Home Office)'), ('local_authority', 'Local authority'), ('dwp', 'Department for Work and Pensions (DWP)'), ('court', 'Court'), ('other', 'Other')], max_length=20, verbose_name='requesting body')),
            ('body_name', models.CharField(max_length=200, verbose_name='force or organisation')),
            ('requester_name', models.CharField(max_length=200)),
            ('requester_rank', models.CharField(blank=True, max_length=100)),
            ('requester_number', models.CharField(blank=True, max_length=50, verbose_name='collar or badge number')),
            ('requester_contact', models.TextField(verbose_name='contact details')),
            ('verification', models.CharField(choices=[('call_back', "Called back through the force's or organisation's main switchboard"), ('id_seen', 'Warrant card or official identity card seen and checked'), ('official_email', "Came from the organisation's official e-mail domain"), ('known_contact', 'A named contact we already know and have verified before'), ('not_verified', 'Not verified yet')], max_length=20, verbose_name='how their identity was verified')),
            ('verification_note', models.TextField(blank=True)),
            ('received_at', models.DateTimeField()),
            ('channel', models.CharField(choices=[('in_person', 'In person (at the door or office)'), ('phone', 'Phone'), ('email', 'E-mail'), ('letter', 'Letter'), ('other', 'Other')], max_length=20)),
            ('logged_at', models.DateTimeField()),
            ('period_from', models.DateField(blank=True, null=True)),
            ('period_to', models.DateField(blank=True, null=True)),
            ('asked_selection', models.JSONField(blank=True, default=dict, verbose_name='information asked for')),
            ('asked_text', models.TextField(verbose_name='what they asked for, in their words')),
            ('broad', models.BooleanField(default=False, verbose_name='asks for everything we hold')),
            ('confidential_notes', models.PositiveIntegerField(default=0)),
            ('basis', models.CharField(choices=[('court_order', 'Warrant or court order'), ('emergency', 'Emergency'), ('schedule_2', 'DPA 2018 Schedule 2 crime-exemption request'), ('none', 'No basis claimed')], max_length=20, verbose_name='basis claimed')),
            ('order_kind', models.CharField(blank=True, choices=[('search_warrant', 'Search warrant'), ('production_order', 'Production order'), ('production_notice', 'Notice of an application for a production order'), ('court_order', 'Another court order (for example a witness summons)')], max_length=20)),
            ('order_reference', models.CharField(blank=True, max_length=100)),
            ('order_court', models.CharField(blank=True, max_length=200, verbose_name='issuing court')),
            ('order_date', models.DateField(blank=True, null=True)),
            ('scope', models.JSONField(blank=True, default=dict)),
            ('emergency_kind', models.CharField(blank=True, choices=[('prevent_serious_crime', 'To prevent a serious crime'), ('locate_victim', 'To locate a victim'), ('apprehend_perpetrator', 'To apprehend a perpetrator')], max_length=30)),
            ('emergency_urgency', models.TextField(blank=True, verbose_name='why it is urgent')),
            ('authorising_officer_name', models.CharField(blank=True, max_length=200)),
            ('authorising_officer_rank', models.CharField(blank=True, max_length=100)),
            ('why_needed', models.TextField(verbose_name='why the information is needed')),
            ('why_not_otherwise', models.TextField(blank=True, verbose_name='why it cannot be obtained another way')),
            ('prejudice', models.CharField(choices=[('yes', 'Yes: telling the client would prejudice the investigation'), ('no', 'No'), ('not_said', 'They did not say')], max_length=10, verbose_name='would telling the client prejudice the investigation')),
            ('prejudice_note', models.TextField(blank=True)),
            ('placed_legal_hold', models.BooleanField(default=False)),
            ('status', models.CharField(choices=[('open', 'Awaiting a decision'), ('awaiting_review', "Emergency disclosure awaiting a manager's review"), ('closed', 'Decided')], default='open', max_length=20)),
            ('outcome', models.CharField(blank=True, choices=[('refused', 'Refused'), ('disclosed_full', 'Disclosed in full'), ('disclosed_part', 'Disclosed in part')], max_length=20)),
            ('decided_at', models.DateTimeField(blank=True, null=True)),
            ('decision_reasons', models.TextField(blank=True)),
            ('client_told', models.BooleanField(blank=True, null=True)),
            ('client_not_told_reason', models.TextField(blank=True)),
            ('emergency_exception', models.BooleanField(default=False)),
            ('emergency_life_at_risk', models.TextField(blank=True)),
            ('emergency_managers_tried', models.TextField(blank=True)),
            ('reviewed_at', models.DateTimeField(blank=True, null=True)),
            ('review_upheld', models.BooleanField(blank=True, null=True)),
            ('review_note', models.TextField(blank=True)),
            ('history_id', models.AutoField(primary_key=True, serialize=False)),
            ('history_date', models.DateTimeField(db_index=True)),
            ('history_change_reason', models.CharField(max_length=100, null=True)),
            ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clients.client')),
            ('decided_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('partner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='consent.partner')),
            ('received_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('reviewed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
        ],
        options={
            'db_table': 'sharing_historicalstatutoryrequest',
            'verbose_name': 'historical statutory request',
            'verbose_name_plural': 'historical statutory requests',
            'ordering': ('-history_date', '-history_id'),
            'get_latest_by': ('history_date', 'history_id'),
        },
        bases=(simple_history.models.HistoricalChanges, models.Model),
    ),
    migrations.CreateModel(
        name='StatutoryRequest',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('reference', models.CharField(max_length=30, unique=True)),
            ('body', models.CharField(choices=[('police', 'Police force'), ('immigration', 'Immigration Enforcement (Home Office)'), ('local_authority', 'Local authority'), ('dwp', 'Department for Work and Pensions (DWP)'), ('court', 'Court'), ('other', 'Other')], max_length=20, verbose_name='requesting body')),
            ('body_name', models.CharField(max_length=200, verbose_name='force or organisation')),
            ('requester_name', models.CharField(max_length=200)),
            ('requester_rank', models.CharField(blank=True, max_length=100)),
            ('requester_number', models.CharField(blank=True, max_length=50, verbose_name='collar or badge number')),
            ('requester_contact', models.TextField(verbose_name='contact details')),
            ('verification', models.CharField(choices=[('call_back', "Called back through the force's or organisation's main switchboard"), ('id_seen', 'Warrant card or official identity card seen and checked'), ('official_email', "Came from the organisation's official e-mail domain"), ('known_contact', 'A named contact we already know and have verified before'), ('not_verified', 'Not verified yet')], max_length=20, verbose_name='how their identity was verified')),
            ('verification_note', models.TextField(blank=True)),
            ('received_at', models.DateTimeField()),
            ('channel', models.CharField(choices=[('in_person', 'In person (at the door or office)'), ('phone', 'Phone'), ('email', 'E-mail'), ('letter', 'Letter'), ('other', 'Other')], max_length=20)),
            ('logged_at', models.DateTimeField()),
            ('period_from', models.DateField(blank=True, null=True)),
            ('period_to', models.DateField(blank=True, null=True)),
            ('asked_selection', models.JSONField(blank=True, default=dict, verbose_name='information asked for')),
            ('asked_text', models.TextField(verbose_name='what they asked for, in their words')),
            ('broad', models.BooleanField(default=False, verbose_name='asks for everything we hold')),
            ('confidential_notes', models.PositiveIntegerField(default=0)),
            ('basis', models.CharField(choices=[('court_order', 'Warrant or court order'), ('emergency', 'Emergency'), ('schedule_2', 'DPA 2018 Schedule 2 crime-exemption request'), ('none', 'No basis claimed')], max_length=20, verbose_name='basis claimed')),
            ('order_kind', models.CharField(blank=True, choices=[('search_warrant', 'Search warrant'), ('production_order', 'Production order'), ('production_notice', 'Notice of an application for a production order'), ('court_order', 'Another court order (for example a witness summons)')], max_length=20)),
            ('order_reference', models.CharField(blank=True, max_length=100)),
            ('order_court', models.CharField(blank=True, max_length=200, verbose_name='issuing court')),
            ('order_date', models.DateField(blank=True, null=True)),
            ('scope', models.JSONField(blank=True, default=dict)),
            ('emergency_kind', models.CharField(blank=True, choices=[('prevent_serious_crime', 'To prevent a serious crime'), ('locate_victim', 'To locate a victim'), ('apprehend_perpetrator', 'To apprehend a perpetrator')], max_length=30)),
            ('emergency_urgency', models.TextField(blank=True, verbose_name='why it is urgent')),
            ('authorising_officer_name', models.CharField(blank=True, max_length=200)),
            ('authorising_officer_rank', models.CharField(blank=True, max_length=100)),
            ('why_needed', models.TextField(verbose_name='why the information is needed')),
            ('why_not_otherwise', models.TextField(blank=True, verbose_name='why it cannot be obtained another way')),
            ('prejudice', models.CharField(choices=[('yes', 'Yes: telling the client would prejudice the investigation'), ('no', 'No'), ('not_said', 'They did not say')], max_length=10, verbose_name='would telling the client prejudice the investigation')),
            ('prejudice_note', models.TextField(blank=True)),
            ('placed_legal_hold', models.BooleanField(default=False)),
            ('status', models.CharField(choices=[('open', 'Awaiting a decision'), ('awaiting_review', "Emergency disclosure awaiting a manager's review"), ('closed', 'Decided')], default='open', max_length=20)),
            ('outcome', models.CharField(blank=True, choices=[('refused', 'Refused'), ('disclosed_full', 'Disclosed in full'), ('disclosed_part', 'Disclosed in part')], max_length=20)),
            ('decided_at', models.DateTimeField(blank=True, null=True)),
            ('decision_reasons', models.TextField(blank=True)),
            ('client_told', models.BooleanField(blank=True, null=True)),
            ('client_not_told_reason', models.TextField(blank=True)),
            ('emergency_exception', models.BooleanField(default=False)),
            ('emergency_life_at_risk', models.TextField(blank=True)),
            ('emergency_managers_tried', models.TextField(blank=True)),
            ('reviewed_at', models.DateTimeField(blank=True, null=True)),
            ('review_upheld', models.BooleanField(blank=True, null=True)),
            ('review_note', models.TextField(blank=True)),
            ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clients.client')),
            ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='statutory_requests', to='consent.partner')),
            ('received_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
        ],
        options={
            'db_table': 'sharing_statutoryrequest',
            'ordering': ['-received_at', '-id'],
        },
    ),
    migrations.CreateModel(
        name='StatutoryDocument',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('stored_name', models.CharField(editable=False, max_length=200, unique=True)),
            ('display_name', models.CharField(max_length=120)),
            ('content_type', models.CharField(max_length=40)),
            ('size', models.PositiveIntegerField()),
            ('sha256', models.CharField(max_length=64)),
            ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
            ('kind', models.CharField(choices=[('order', 'Copy of the warrant or court order'), ('schedule_2_form', 'Signed Schedule 2 request form')], max_length=20)),
            ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clients.client')),
            ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('statutory_request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='statutory.statutoryrequest')),
        ],
        options={
            'db_table': 'sharing_statutorydocument',
            'ordering': ['uploaded_at', 'id'],
        },
    ),
    migrations.CreateModel(
        name='StatutoryAlert',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('kind', models.CharField(choices=[('emergency_logged', 'Emergency request logged'), ('emergency_disclosed', 'Emergency disclosure made by a caseworker')], max_length=30)),
            ('raised_at', models.DateTimeField()),
            ('emailed_at', models.DateTimeField(blank=True, null=True)),
            ('recipients', models.TextField(blank=True)),
            ('statutory_request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='statutory.statutoryrequest')),
        ],
        options={
            'db_table': 'sharing_statutoryalert',
            'ordering': ['raised_at', 'id'],
        },
    ),
    migrations.AddIndex(
        model_name='statutoryrequest',
        index=models.Index(fields=['client', '-received_at'], name='statutory_client_received'),
    ),
    migrations.AddIndex(
        model_name='statutoryrequest',
        index=models.Index(fields=['received_at'], name='statutory_received'),
    ),
    migrations.AddIndex(
        model_name='statutoryrequest',
        index=models.Index(condition=models.Q(('status', 'closed'), _negated=True), fields=['received_at'], name='statutory_open'),
    ),
    migrations.AddConstraint(
        model_name='statutoryrequest',
        constraint=models.CheckConstraint(condition=models.Q(('period_from__isnull', True), ('period_to__isnull', True), ('period_to__gte', models.F('period_from')), _connector='OR'), name='statutory_period_in_order'),
    ),
    migrations.AddConstraint(
        model_name='statutoryrequest',
        constraint=models.CheckConstraint(condition=models.Q(models.Q(('outcome', ''), ('status', 'open')), models.Q(models.Q(('status', 'open'), _negated=True), models.Q(('outcome', ''), _negated=True), ('decided_at__isnull', False)), _connector='OR'), name='statutory_decided_has_outcome'),
    ),
    migrations.AddIndex(
        model_name='statutoryalert',
        index=models.Index(condition=models.Q(('emailed_at', None)), fields=['raised_at'], name='statutory_alert_unsent'),
    ),
    migrations.AddConstraint(
        model_name='statutoryalert',
        constraint=models.UniqueConstraint(fields=('statutory_request', 'kind'), name='one_statutory_alert_per_kind'),
    ),
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("sharing", "0003_statutory_purpose"),
        ("clients", "0001_initial"),
        ("consent", "0003_history_of_notices_and_evidence"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE_OPERATIONS, database_operations=[]),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
