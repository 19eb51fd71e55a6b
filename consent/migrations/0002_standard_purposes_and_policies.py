"""The standard purposes and the default approval policy for each lawful basis.

Created here rather than only in demo data because consents, bases and sharing's purpose
templates all refer to these purposes by key. Existing rows are left as they are.
"""

from django.db import migrations

PURPOSES = [
    (
        "referral-housing",
        "Referral to housing",
        "Referring the client to a housing provider or the council for accommodation.",
    ),
    (
        "referral-substance-use",
        "Referral to a substance-use service",
        "Referring the client to a drug and alcohol treatment or support service.",
    ),
    (
        "referral-domestic-abuse",
        "Referral to a domestic-abuse service",
        "Referring the client to a specialist domestic-abuse service for safety and support.",
    ),
    (
        "referral-health",
        "Referral to a health service",
        "Referring the client to a GP, community health or mental-health service.",
    ),
    (
        "multi-agency-risk-meeting",
        "Multi-agency risk meeting",
        "Discussing the client's situation and risks with partner organisations at a multi-agency meeting.",
    ),
]

POLICIES = [
    ("public_task", False, "Our statutory or contracted public function requires the sharing."),
    ("vital_interests", True, "Only to protect someone's life when consent cannot be asked for or given."),
    ("legal_obligation", False, "A law or court order requires the disclosure: record which."),
    ("legitimate_interests", True, "Record the balancing test: our interest, necessity, and the client's interests."),
]


def create(apps, schema_editor):
    Purpose = apps.get_model("consent", "Purpose")
    BasisPolicy = apps.get_model("consent", "BasisPolicy")
    for key, name, description in PURPOSES:
        Purpose.objects.get_or_create(key=key, defaults={"name": name, "description": description})
    for basis, requires_approval, guidance in POLICIES:
        BasisPolicy.objects.get_or_create(
            basis=basis, defaults={"requires_approval": requires_approval, "guidance": guidance}
        )


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
