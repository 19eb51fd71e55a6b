import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.categories import CATEGORIES
from consent.tests.factories import PDF_BYTES
from consent.tests.hostile_pdfs import HOSTILE
from sharing.models import AgreementDocument, DataSharingAgreement, PurposeTemplate

from .factories import purpose


def selection_data(name: str, selection: dict) -> dict:
    return {f"{name}_{c.key}": selection.get(c.key, "") for c in CATEGORIES}


def agreement_data(partner, upload=None, **selection):
    data = {
        "partner": partner.pk,
        "reference": "DSA-TEST-1",
        "purposes": [purpose("referral-substance-use").pk],
        "starts_on": "2026-01-01",
        "ends_on": "2029-01-01",
        "notes": "",
        **selection_data("selection", selection or {"identity": "summary", "substance_use": "detail"}),
    }
    if upload is not None:
        data["upload"] = upload
    return data


def test_an_admin_records_an_agreement_with_its_signed_copy_stored_privately(
    admin_user, su_service, login, settings, tmp_path
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    upload = SimpleUploadedFile("signed agreement.pdf", PDF_BYTES, content_type="application/pdf")

    response = login(admin_user).post(
        reverse("admin:sharing_datasharingagreement_add"), agreement_data(su_service, upload)
    )

    assert response.status_code == 302
    agreement = DataSharingAgreement.objects.get()
    assert agreement.selection == {"identity": "summary", "substance_use": "detail"}
    assert agreement.ends_on == dt.date(2029, 1, 1)
    document = AgreementDocument.objects.get()
    assert agreement.document == document
    assert document.display_name == "signed agreement.pdf"
    assert document.stored_name.startswith("agreements/")
    assert (tmp_path / document.stored_name).read_bytes() == PDF_BYTES


def test_an_upload_that_is_not_a_pdf_or_image_is_refused_beside_the_field(
    admin_user, su_service, login, settings, tmp_path
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    upload = SimpleUploadedFile("agreement.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    response = login(admin_user).post(
        reverse("admin:sharing_datasharingagreement_add"), agreement_data(su_service, upload)
    )

    assert response.status_code == 200
    assert "The file is not a PDF or an image" in response.content.decode()
    assert not DataSharingAgreement.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


@pytest.mark.parametrize("name", ["script with an escaped name", "launch in a compressed object stream"])
def test_an_agreement_pdf_with_active_content_is_refused_beside_the_field(
    admin_user, su_service, login, settings, tmp_path, name
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    upload = SimpleUploadedFile("agreement.pdf", HOSTILE[name], content_type="application/pdf")

    response = login(admin_user).post(
        reverse("admin:sharing_datasharingagreement_add"), agreement_data(su_service, upload)
    )

    assert response.status_code == 200
    assert "This PDF is not accepted" in response.content.decode()
    assert not DataSharingAgreement.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


def test_an_admin_sets_a_purpose_template(admin_user, login):
    response = login(admin_user).post(
        reverse("admin:sharing_purposetemplate_add"),
        {
            "purpose": purpose("referral-housing").pk,
            "note": "Housing providers need the housing history.",
            **selection_data("selection", {"housing_history": "detail", "identity": "summary"}),
        },
    )

    assert response.status_code == 302
    template = PurposeTemplate.objects.get()
    assert template.selection == {"identity": "summary", "housing_history": "detail"}


def test_the_agreement_list_runs_a_fixed_number_of_queries(admin_user, su_service, login, django_assert_num_queries):
    from .factories import DataSharingAgreementFactory

    client = login(admin_user)
    DataSharingAgreementFactory(partner=su_service)
    with django_assert_num_queries(QUERIES):
        client.get(reverse("admin:sharing_datasharingagreement_changelist"))
    for _ in range(5):
        DataSharingAgreementFactory(partner=su_service)
    with django_assert_num_queries(QUERIES):
        client.get(reverse("admin:sharing_datasharingagreement_changelist"))


QUERIES = 7


def test_the_sharing_policy_is_one_row_that_the_admin_opens_and_changes(admin_user, login):
    from sharing.models import SharingPolicy

    client = login(admin_user)
    response = client.get(reverse("admin:sharing_sharingpolicy_changelist"))
    policy = SharingPolicy.objects.get()
    assert response["Location"] == reverse("admin:sharing_sharingpolicy_change", args=[policy.pk])

    response = client.post(
        reverse("admin:sharing_sharingpolicy_change", args=[policy.pk]),
        {"referral_delivery": "other", "without_agreement": "refuse"},
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.referral_delivery, policy.without_agreement) == ("other", "refuse")
    assert client.get(reverse("admin:sharing_sharingpolicy_add")).status_code == 403
