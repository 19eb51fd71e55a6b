"""Evidence uploads: PDF or image only, checked by content, stored outside the web root.

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
from dataclasses import dataclass

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

# Markers of active content a signed form has no business carrying.
_PDF_ACTIVE = (b"/JavaScript", b"/Launch", b"/EmbeddedFile")
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


def _check_pdf(content: bytes) -> None:
    # A complete PDF ends with %%EOF (allowing trailing whitespace or a little padding).
    has_trailer = b"trailer" in content or b"/XRef" in content
    if b"%%EOF" not in content[-1024:] or not has_trailer:
        raise UploadRefused(
            "The PDF appears to be damaged or incomplete. Save it again and upload the new copy.", code="bad_pdf"
        )
    if any(marker in content for marker in _PDF_ACTIVE):
        raise UploadRefused(
            "The PDF contains scripts or attached files, which are not accepted. "
            "Print it to a new PDF or scan the signed form.",
            code="active_pdf",
        )


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
