"""Decompression bombs: a small upload that expands hugely when read is refused with a clear
message beside the field, before anything is decoded in full (UPLOAD_MAX_PDF_PAGES,
UPLOAD_MAX_DECODED_BYTES, UPLOAD_MAX_IMAGE_PIXELS)."""

import io
import zlib

import pikepdf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from consent.tests.factories import PDF_BYTES

from .test_evidence import assert_nothing_saved, consent_post, refusal


def pdf(build) -> bytes:
    document = pikepdf.new()
    document.add_blank_page()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def inflating_stream(size: int):
    """A page whose content stream is `size` bytes once inflated, a few KiB as stored."""

    def build(document):
        stream = pikepdf.Stream(document, b"")
        stream.write(zlib.compress(b" " * size, 9), filter=pikepdf.Name.FlateDecode)
        document.pages[0].obj.Contents = document.make_indirect(stream)

    return build


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_pdf_whose_streams_inflate_past_the_limit_is_refused(settings):
    settings.UPLOAD_MAX_DECODED_BYTES = 1024 * 1024
    bomb = pdf(inflating_stream(3 * 1024 * 1024))
    assert len(bomb) < 20_000

    refused = refusal("form.pdf", bomb)

    assert refused.code == "pdf_too_big"
    assert "content that expands to more than 1.0\xa0MB" in refused.messages[0]


def test_a_pdf_within_the_limit_is_accepted(settings):
    from consent.evidence import check_upload

    settings.UPLOAD_MAX_DECODED_BYTES = 1024 * 1024
    checked = check_upload(SimpleUploadedFile("form.pdf", pdf(inflating_stream(100_000))))

    assert checked.content_type == "application/pdf"


def test_a_pdf_with_too_many_pages_is_refused(settings):
    settings.UPLOAD_MAX_PDF_PAGES = 2

    def pages(document):
        document.add_blank_page()
        document.add_blank_page()

    refused = refusal("form.pdf", pdf(pages))

    assert refused.code == "pdf_too_big"
    assert "3 pages (at most 2 are accepted)" in refused.messages[0]


def test_a_pdf_holding_a_huge_image_is_refused(settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 10_000_000

    def huge_image(document):
        image = pikepdf.Stream(document, b"")
        image.write(zlib.compress(b"\x00" * 1000), filter=pikepdf.Name.FlateDecode)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = 100_000, 100_000, 1
        image.ColorSpace = pikepdf.Name.DeviceGray
        document.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=document.make_indirect(image)))

    refused = refusal("form.pdf", pdf(huge_image))

    assert refused.code == "pdf_too_big"
    assert "an image of 10000 megapixels" in refused.messages[0]


def test_an_image_with_too_many_pixels_is_refused_from_its_header(settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1_000_000

    refused = refusal("photo.png", png(2000, 1000))

    assert refused.code == "image_too_big"
    assert "2 megapixels (at most 1 are accepted)" in refused.messages[0]


def test_an_ordinary_signed_form_still_passes():
    from consent.evidence import check_upload

    assert check_upload(SimpleUploadedFile("form.pdf", PDF_BYTES)).content_type == "application/pdf"


def test_a_bomb_is_refused_beside_the_field_and_nothing_is_saved(
    client, login, caseworker, jordan, riverside, housing, notice, private_root, settings
):
    settings.UPLOAD_MAX_DECODED_BYTES = 1024 * 1024
    login(caseworker)
    upload = SimpleUploadedFile("consent.pdf", pdf(inflating_stream(3 * 1024 * 1024)))

    response = client.post(
        reverse("consent:record", args=[jordan.pk]), consent_post(riverside, housing, notice, upload)
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_evidence_error"' in html
    assert "This PDF is too large to accept" in html
    assert_nothing_saved(private_root)
