"""Evidence uploads: checked by content, size-limited, stored privately, served through the gate."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from access.models import AccessEvent
from consent.evidence import UploadRefused, check_upload, display_name
from consent.models import ConsentEvidence, ConsentRecord

from .conftest import stored_files
from .factories import PDF_BYTES
from .hostile_pdfs import HOSTILE, ORDINARY, UNREADABLE


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


def refusal(name: str, content: bytes, **kwargs) -> UploadRefused:
    with pytest.raises(UploadRefused) as excinfo:
        check_upload(SimpleUploadedFile(name, content), **kwargs)
    return excinfo.value


# --- The check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "shown_as"),
    [
        ("signed form.pdf", PDF_BYTES, "application/pdf", "signed form.pdf"),
        ("photo.PNG", png_bytes(), "image/png", "photo.png"),
        ("scan.jpeg", jpeg_bytes(), "image/jpeg", "scan.jpg"),
        ("misnamed.pdf", png_bytes(), "image/png", "misnamed.png"),
    ],
)
def test_it_accepts_pdfs_and_images_by_their_content(name, content, content_type, shown_as):
    checked = check_upload(SimpleUploadedFile(name, content))
    assert (checked.content_type, checked.display_name, checked.size) == (content_type, shown_as, len(content))


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00 this is a Windows program",
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04 a zip or word document",
        b"just some text\n",
    ],
)
def test_it_refuses_another_type_renamed_to_pdf(content):
    error = refusal("consent.pdf", content)
    assert error.code == "wrong_type"
    assert error.messages == [
        "The file is not a PDF or an image, whatever its name says. "
        "Upload a PDF, or a photo or scan saved as JPEG or PNG."
    ]


def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    error = refusal("big.pdf", PDF_BYTES + b"0" * 2000)
    assert error.messages == ["The file is too big: it must be smaller than 1.0\xa0KB."]


@pytest.mark.parametrize(
    "name",
    ["../../casework/settings.pdf", "..%2F..%2Fetc%2Fpasswd.pdf", "C:evil.pdf", "..\\..\\evil.pdf", ".hidden.pdf"],
)
def test_it_refuses_a_path_traversal_filename(name):
    upload = SimpleUploadedFile("x.pdf", PDF_BYTES)
    upload._name = name  # as a caller outside Django's multipart parser might pass it
    with pytest.raises(UploadRefused) as excinfo:
        check_upload(upload)
    assert excinfo.value.code == "unsafe_name"


def test_it_refuses_a_truncated_pdf_and_one_with_scripts():
    assert refusal("cut.pdf", PDF_BYTES[:60]).code == "bad_pdf"
    assert refusal("scripted.pdf", HOSTILE["script with an escaped name"]).code == "active_pdf"


# --- PDFs are parsed, not searched: every spelling and hiding place of active content ----------


@pytest.mark.parametrize("name", HOSTILE)
def test_it_refuses_a_pdf_with_active_content_however_it_is_written(name):
    error = refusal("signed.pdf", HOSTILE[name])

    assert error.code == "active_pdf"
    assert error.messages[0].startswith("This PDF is not accepted: it contains ")


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("script with an escaped name", b"/JavaScript"),
        ("launch with an escaped name", b"/Launch"),
        ("launch in a compressed object stream", b"/Launch"),
        ("page script in a compressed object stream", b"/JavaScript"),
    ],
)
def test_the_hostile_pdfs_hide_their_names_from_a_byte_search(name, marker):
    # What the old byte-string blocklist looked for is not in the file, yet it is refused.
    assert marker not in HOSTILE[name]
    assert refusal("signed.pdf", HOSTILE[name]).code == "active_pdf"


@pytest.mark.parametrize("name", UNREADABLE)
def test_it_refuses_a_pdf_that_does_not_parse_or_is_encrypted(name):
    error = refusal("signed.pdf", UNREADABLE[name])

    assert error.code == "bad_pdf"
    assert "password" in error.messages[0]


@pytest.mark.parametrize("name", ORDINARY)
def test_it_accepts_an_ordinary_pdf(name):
    checked = check_upload(SimpleUploadedFile("signed.pdf", ORDINARY[name]))

    assert checked.content_type == "application/pdf"


def test_it_refuses_an_image_pillow_cannot_read():
    broken = png_bytes()[:40] + b"\x00" * 40
    assert refusal("broken.png", broken).code == "bad_image"


def test_display_names_are_plain_text():
    assert display_name("Form <script>.pdf", "application/pdf") == "Form _script.pdf"
    assert display_name("", "image/png") == "evidence.png"


# --- Through the record-consent page ----------------------------------------------------------


def consent_post(riverside, housing, notice, upload, **overrides):
    data = {
        "partners": [riverside.pk],
        "purposes": [housing.pk],
        "selection_housing_history": "detail",
        "method": "written",
        "evidence": upload,
        "notice": notice.pk,
        "has_capacity": "yes",
        # The client was opened today: consent cannot be dated before that.
        "given_at": (timezone.localtime() - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "review_due": (timezone.localdate() + dt.timedelta(days=180)).isoformat(),
    }
    return {**data, **overrides}


def multipart(fields: dict, file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A request body with a raw filename, which Django's test client would otherwise strip."""
    boundary = "----consent-test-boundary"
    lines = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            lines += [f"--{boundary}", f'Content-Disposition: form-data; name="{key}"', "", str(item)]
    head = "\r\n".join(lines).encode()
    part = (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + part + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def assert_nothing_saved(private_root):
    assert not ConsentRecord.objects.exists()
    assert not ConsentEvidence.objects.exists()
    assert stored_files(private_root) == []


def test_a_refused_upload_is_explained_beside_the_field_and_nothing_is_saved(
    client, login, caseworker, jordan, riverside, housing, notice, private_root
):
    login(caseworker)
    url = reverse("consent:record", args=[jordan.pk])
    fake = SimpleUploadedFile("consent.pdf", b"MZ\x90\x00 not a pdf at all")
    response = client.post(url, consent_post(riverside, housing, notice, fake))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_evidence_error"' in html
    assert "The file is not a PDF or an image, whatever its name says." in html
    assert_nothing_saved(private_root)


@pytest.mark.parametrize("name", ["script with an escaped name", "launch in a compressed object stream"])
def test_a_pdf_with_active_content_is_refused_beside_the_field_and_nothing_is_saved(
    client, login, caseworker, jordan, riverside, housing, notice, private_root, name
):
    login(caseworker)
    upload = SimpleUploadedFile("consent.pdf", HOSTILE[name])

    response = client.post(
        reverse("consent:record", args=[jordan.pk]), consent_post(riverside, housing, notice, upload)
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_evidence_error"' in html
    assert "This PDF is not accepted" in html
    assert_nothing_saved(private_root)


def test_an_oversized_upload_is_refused_and_nothing_is_saved(
    client, login, caseworker, jordan, riverside, housing, notice, private_root, settings
):
    settings.UPLOAD_MAX_BYTES = 1024
    login(caseworker)
    big = SimpleUploadedFile("form.pdf", PDF_BYTES + b" " * 4096)
    response = client.post(reverse("consent:record", args=[jordan.pk]), consent_post(riverside, housing, notice, big))
    assert response.status_code == 400
    assert "The file is too big" in response.content.decode()
    assert_nothing_saved(private_root)


def test_a_path_traversal_filename_is_refused_and_nothing_is_saved(
    client, login, caseworker, jordan, riverside, housing, notice, private_root
):
    login(caseworker)
    fields = consent_post(riverside, housing, notice, None)
    del fields["evidence"]
    body, content_type = multipart(fields, "evidence", "..%2F..%2Fcasework%2Fsettings.pdf", PDF_BYTES)
    response = client.post(reverse("consent:record", args=[jordan.pk]), body, content_type=content_type)
    assert response.status_code == 400
    assert "The file name must be a plain name" in response.content.decode()
    assert_nothing_saved(private_root)


def test_a_good_upload_is_stored_privately_under_a_generated_name(
    client, login, caseworker, jordan, riverside, housing, notice, private_root
):
    login(caseworker)
    fields = consent_post(riverside, housing, notice, None)
    del fields["evidence"]
    # Django's parser drops the folder part of a name before any app code sees it.
    body, content_type = multipart(fields, "evidence", "../../../tmp/signed form.pdf", PDF_BYTES)
    response = client.post(reverse("consent:record", args=[jordan.pk]), body, content_type=content_type)
    assert response.status_code == 302, response.content.decode()
    evidence = ConsentEvidence.objects.get()
    assert evidence.display_name == "signed form.pdf"
    assert stored_files(private_root) == [evidence.stored_name]
    assert evidence.stored_name.startswith("consent/")
    assert "signed" not in evidence.stored_name
    assert (private_root / evidence.stored_name).read_bytes() == PDF_BYTES


# --- Download through the gate -----------------------------------------------------------------


@pytest.fixture
def written_consent(client, login, caseworker, jordan, riverside, housing, notice, private_root):
    login(caseworker)
    upload = SimpleUploadedFile("signed.pdf", PDF_BYTES)
    client.post(reverse("consent:record", args=[jordan.pk]), consent_post(riverside, housing, notice, upload))
    client.logout()
    return ConsentRecord.objects.select_related("evidence").get()


def test_the_caseworker_downloads_the_signed_form_as_an_audited_attachment(client, login, caseworker, written_consent):
    login(caseworker)
    url = reverse("consent:evidence", args=[written_consent.client_id, written_consent.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"] == 'attachment; filename="signed.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    event = AccessEvent.objects.filter(action=AccessEvent.Action.DOWNLOAD).get()
    assert (event.actor, event.outcome, event.object_type, event.object_id) == (
        caseworker,
        "allowed",
        "consent.ConsentEvidence",
        str(written_consent.evidence.pk),
    )


def test_someone_outside_the_caseload_is_asked_for_a_reason_not_given_the_file(
    client, login, other_caseworker, written_consent
):
    login(other_caseworker)
    response = client.get(reverse("consent:evidence", args=[written_consent.client_id, written_consent.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:reason", args=[written_consent.client_id]))
    assert AccessEvent.objects.filter(actor=other_caseworker, outcome="denied", action="download").count() == 1


def test_a_consent_id_of_another_client_is_not_found(client, login, caseworker, team_a, written_consent):
    from .factories import client_on_caseload

    other = client_on_caseload(caseworker=caseworker, team=team_a, first_name="Sam", last_name="Other")
    login(caseworker)
    response = client.get(reverse("consent:evidence", args=[other.pk, written_consent.pk]))
    assert response.status_code == 404
