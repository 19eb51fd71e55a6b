"""PDFs are laid out outside any transaction (casework.pdf). On SQLite every transaction is
IMMEDIATE and holds the one write lock: a PDF laid out inside the gate's transaction, or the
worker's claim, would make every other writer wait for it."""

import pytest
from django.db import connection
from django.urls import reverse

from casework import pdf


@pytest.fixture
def layouts(db, monkeypatch):
    """Each PDF laid out: whether it was inside a transaction opened after the test's own (`db`)."""
    outside = len(connection.atomic_blocks)
    seen = []
    real = pdf.pdf_bytes

    def watched(html, **kwargs):
        seen.append(len(connection.atomic_blocks) > outside)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf, "pdf_bytes", watched)
    return seen


def _referral(client, manager):
    from sharing.tests.factories import sent_referral

    referral = sent_referral(client=client, actor=manager)
    return reverse("sharing:referral_pdf", args=[client.pk, referral.pk])


def _statutory(client, manager):
    from statutory.tests.factories import decided_request

    request = decided_request(client=client, logged_by=manager, decided_by=manager)
    return reverse("statutory:pdf", args=[client.pk, request.pk])


def _consent_summary(client, manager):
    return reverse("consent:summary_pdf", args=[client.pk])


@pytest.mark.parametrize("url_of", [_referral, _statutory, _consent_summary], ids=lambda f: f.__name__.strip("_"))
def test_a_gated_pdf_download_is_laid_out_after_the_gates_transaction(url_of, layouts, login, manager, own_client):
    url = url_of(own_client, manager)
    layouts.clear()

    response = login(manager).get(url)

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert layouts == [False]


def test_a_pdf_response_lays_out_nothing_until_it_is_read():
    response = pdf.PdfResponse("<p>Hello</p>")

    assert not response.rendered
    assert response.content.startswith(b"%PDF")
    assert response.rendered
