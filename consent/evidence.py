"""Evidence uploads: PDF or image only, checked by content (PDFs parsed with pikepdf and
refused if they carry active content, images opened with Pillow), stored outside the web root.

Reusable by any app that keeps uploaded documents about a client (signed consent forms
here; warrant copies for police requests):

    checked = check_upload(request.FILES["evidence"])   # raises UploadRefused
    stored_name = store(checked, folder="warrants")     # a generated name under PRIVATE_STORAGE_ROOT
    ...                                                 # rows referencing stored_name
    return file_response(row)                           # after the gate said yes

Subclass `StoredFile` for the row. The client's file name is never used for storage;
it is kept only as sanitised display text.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
import warnings
import zlib
from dataclasses import dataclass

import pikepdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}

ACCEPTED_TEXT = "Upload a PDF, or a photo or scan saved as JPEG or PNG."

# Folder names, parent references, drive letters and percent-encoded separators.
_UNSAFE_NAME = re.compile(r"(\.\.|[/\\:]|%2e|%2f|%5c|^\.)", re.IGNORECASE)


class UploadRefused(ValidationError):
    """An upload that is not acceptable; the message is fit to show beside the field."""


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    display_name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def max_upload_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES


def check_upload(upload, *, max_bytes: int | None = None) -> CheckedUpload:
    """Read and check an uploaded file. Raises UploadRefused with a clear message."""
    limit = max_bytes or max_upload_bytes()
    name = upload.name or ""
    if _UNSAFE_NAME.search(name) or any(unicodedata.category(ch).startswith("C") for ch in name):
        raise UploadRefused(
            "The file name must be a plain name, without folder names, “..” or special characters. "
            "Rename the file and upload it again.",
            code="unsafe_name",
        )
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise UploadRefused(_too_big(limit), code="too_big")
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise UploadRefused(_too_big(limit), code="too_big")
    if not content:
        raise UploadRefused("The file is empty.", code="empty")
    content_type = _sniff(content)
    if content_type == PDF:
        _check_pdf(content)
    else:
        _check_image(content, content_type)
    return CheckedUpload(
        content=content,
        content_type=content_type,
        display_name=display_name(name, content_type),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _too_big(limit: int) -> str:
    return f"The file is too big: it must be smaller than {filesizeformat(limit)}."


def _sniff(content: bytes) -> str:
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    raise UploadRefused(
        f"The file is not a PDF or an image, whatever its name says. {ACCEPTED_TEXT}", code="wrong_type"
    )


_BAD_PDF = (
    "The PDF could not be read: it may be damaged, incomplete or password-protected. "
    "Save or scan it again, without a password, and upload the new copy."
)
_BIG_PDF = "This PDF is too large to accept: it has {what}. Scan or save just the signed pages, and upload that."
_ACTIVE_PDF = (
    "This PDF is not accepted: it contains {what}. Print it to a new PDF or scan the signed document, and upload that."
)

# What a signed form has no business carrying, by the PDF names that introduce it
# (ISO 32000-1 §12.6 actions, §12.5.6.15 file attachments, §7.11.4 embedded files,
# §12.7.8 XFA; Adobe's RichMedia extension). Names are compared after the parser has
# decoded them, so `/Java#53cript` is `/JavaScript` here.
_REFUSED_ACTIONS = {
    "/JavaScript": "scripts",
    "/Launch": "actions that start programs",
    "/SubmitForm": "actions that send form data",
    "/ImportData": "actions that import data",
    "/RichMediaExecute": "rich-media actions",
    "/GoToE": "actions that open attached files",
    "/Rendition": "media actions",
}
_REFUSED_KEYS = {
    "/JS": "scripts",
    "/JavaScript": "scripts",
    "/AA": "actions that run automatically",
    "/EmbeddedFiles": "attached files",
    "/EF": "attached files",
    "/XFA": "XFA forms",
    "/RichMediaContent": "rich-media content",
}
_REFUSED_SUBTYPES = {"/FileAttachment": "attached files", "/RichMedia": "rich-media content"}
# Deeper than any real document nests direct objects; qpdf itself stops parsing at 500.
_MAX_DEPTH = 100


def _check_pdf(content: bytes) -> None:
    """Parse the PDF with qpdf (pikepdf) and refuse active content, attachments and encryption.

    Every object is visited — indirect objects wherever they are stored, compressed
    object streams included, and the direct dictionaries and arrays inside them — so how
    a name is spelt or where an object is hidden does not matter. Raises UploadRefused:
    `bad_pdf` when the file does not parse without repair or is encrypted, `active_pdf`
    when it carries scripts, launch, submit-form, import-data or rich-media actions, an
    additional-actions (/AA) dictionary, an /OpenAction that is an action, embedded or
    attached files, or an XFA form; `pdf_too_big` when it would expand beyond what a signed
    form needs (a decompression bomb): more than UPLOAD_MAX_PDF_PAGES pages, streams that
    inflate past UPLOAD_MAX_DECODED_BYTES in all, or an image over UPLOAD_MAX_IMAGE_PIXELS.
    """
    try:
        with pikepdf.open(io.BytesIO(content), attempt_recovery=False) as pdf:
            if pdf.is_encrypted:
                raise UploadRefused(_BAD_PDF, code="bad_pdf")
            too_big = _pdf_too_big(pdf)
            if too_big:
                raise UploadRefused(_BIG_PDF.format(what=too_big), code="pdf_too_big")
            found = _active_content(pdf)
    except UploadRefused:
        raise
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, RuntimeError, OverflowError, RecursionError) as exc:
        raise UploadRefused(_BAD_PDF, code="bad_pdf") from exc
    if found:
        raise UploadRefused(_ACTIVE_PDF.format(what=found), code="active_pdf")


def _pdf_too_big(pdf) -> str | None:
    """What makes the document too large to accept (for the message), or None.

    Compressed streams are inflated in 1 MiB steps and the output thrown away, stopping as
    soon as the total passes the limit, so a small file that inflates to gigabytes costs
    no more than the limit to find out.
    """
    pages = len(pdf.pages)
    if pages > settings.UPLOAD_MAX_PDF_PAGES:
        return f"{pages} pages (at most {settings.UPLOAD_MAX_PDF_PAGES} are accepted)"
    budget = settings.UPLOAD_MAX_DECODED_BYTES
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        info = obj.stream_dict
        if _name(info.get("/Subtype")) == "/Image":
            pixels = int(info.get("/Width", 0)) * int(info.get("/Height", 0))
            if pixels > settings.UPLOAD_MAX_IMAGE_PIXELS:
                return _too_many_pixels(pixels)
        budget -= _inflated_size(obj, budget)
        if budget < 0:
            return f"content that expands to more than {filesizeformat(settings.UPLOAD_MAX_DECODED_BYTES)}"
    return None


def _inflated_size(stream, limit: int) -> int:
    """How many bytes `stream` holds once inflated, counting no further than just past `limit`."""
    raw = stream.read_raw_bytes()
    filters = stream.stream_dict.get("/Filter")
    first = filters[0] if isinstance(filters, pikepdf.Array) and len(filters) else filters
    if _name(first) != "/FlateDecode":
        return len(raw)
    inflater = zlib.decompressobj()
    total, data = 0, raw
    try:
        while data and total <= limit:
            total += len(inflater.decompress(data, 1 << 20))
            data = inflater.unconsumed_tail
    except zlib.error:
        return len(raw)
    return total


def _too_many_pixels(pixels: int) -> str:
    return (
        f"an image of {pixels / 1_000_000:.0f} megapixels "
        f"(at most {settings.UPLOAD_MAX_IMAGE_PIXELS / 1_000_000:.0f} are accepted)"
    )


def _active_content(pdf) -> str | None:
    """What active content the document holds (for the message), or None."""
    for obj in [pdf.trailer, *pdf.objects]:
        found = _walk(obj, 0)
        if found:
            return found
    return None


def _walk(obj, depth: int) -> str | None:
    """Look at one object and the direct objects inside it; indirect ones are visited on their own."""
    if depth > _MAX_DEPTH:
        return "objects nested too deeply to check"
    if isinstance(obj, pikepdf.Stream):
        return _check_dictionary(obj.stream_dict, depth)
    if isinstance(obj, pikepdf.Dictionary):
        return _check_dictionary(obj, depth)
    if isinstance(obj, pikepdf.Array):
        for item in obj:
            if _is_direct_container(item):
                found = _walk(item, depth + 1)
                if found:
                    return found
    return None


def _is_direct_container(value) -> bool:
    # Scalars come back as Python values; indirect objects are walked from pdf.objects.
    return isinstance(value, pikepdf.Dictionary | pikepdf.Array) and not value.is_indirect


def _name(value) -> str | None:
    return str(value) if isinstance(value, pikepdf.Name) else None


def _check_dictionary(dictionary, depth: int) -> str | None:
    items = list(dictionary.items())
    for key, _value in items:
        if key in _REFUSED_KEYS:
            return _REFUSED_KEYS[key]
    action = _name(dictionary.get("/S"))
    if action in _REFUSED_ACTIONS:
        return _REFUSED_ACTIONS[action]
    subtype = _name(dictionary.get("/Subtype"))
    if subtype in _REFUSED_SUBTYPES:
        return _REFUSED_SUBTYPES[subtype]
    if _name(dictionary.get("/Type")) == "/EmbeddedFile":
        return "attached files"
    for _key, value in items:
        if _is_direct_container(value):
            found = _walk(value, depth + 1)
            if found:
                return found
    if isinstance(dictionary.get("/OpenAction"), pikepdf.Dictionary):
        return "actions that run when the document opens"
    return None


def _check_image(content: bytes, content_type: str) -> None:
    expected = {PNG: "PNG", JPEG: "JPEG"}[content_type]
    refused = UploadRefused(
        "The image could not be read. Take the photo or scan again and upload it as JPEG or PNG.", code="bad_image"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != expected:
                    raise refused
                # The size is read from the header, before anything is decoded.
                pixels = image.width * image.height
                if pixels > settings.UPLOAD_MAX_IMAGE_PIXELS:
                    raise UploadRefused(
                        f"The image is too large: {_too_many_pixels(pixels)}. "
                        "Take the photo or scan again at a lower resolution.",
                        code="image_too_big",
                    )
                image.verify()
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise refused from exc
    except Image.DecompressionBombWarning as exc:
        raise refused from exc


def display_name(name: str, content_type: str) -> str:
    """A safe label for the file: letters, digits, spaces, dots, dashes; the real extension."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = unicodedata.normalize("NFKC", stem)
    stem = re.sub(r"[^\w .()-]+", "_", stem).strip(" ._")[:80] or "evidence"
    return f"{stem}{EXTENSIONS[content_type]}"


def private_storage() -> FileSystemStorage:
    """Files outside the web root: never served by a URL, only through `file_response`."""
    return FileSystemStorage(
        location=settings.PRIVATE_STORAGE_ROOT,
        base_url=None,
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


def store(checked: CheckedUpload, *, folder: str) -> str:
    """Write the checked content under a generated name; return that name."""
    name = f"{folder}/{uuid.uuid4().hex}{EXTENSIONS[checked.content_type]}"
    return private_storage().save(name, ContentFile(checked.content))


def remove(stored_name: str) -> None:
    if stored_name:
        private_storage().delete(stored_name)


class StoredFile(models.Model):
    """A row for one privately stored file. Subclass it and set STORAGE_FOLDER."""

    STORAGE_FOLDER = "evidence"

    stored_name = models.CharField(max_length=200, unique=True, editable=False)
    display_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self):
        return self.display_name

    @classmethod
    def from_checked(cls, checked: CheckedUpload, *, stored_name: str, uploaded_by, **fields):
        return cls(
            stored_name=stored_name,
            display_name=checked.display_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=uploaded_by,
            **fields,
        )


def file_response(stored: StoredFile) -> FileResponse:
    """Serve a stored file as a download that no browser will render or sniff."""
    response = FileResponse(
        private_storage().open(stored.stored_name, "rb"),
        as_attachment=True,
        filename=stored.display_name,
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
