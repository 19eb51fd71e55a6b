"""The consent tab of a client: consents and other lawful bases, recorded, withdrawn, approved.

Every view reaches the client only through the gate (`access.gate.client_view`), which
audits the request and answers 404 alike for unknown and forbidden ids. Objects inside the
client are loaded filtered by that client, so another client's consent id is a 404 too.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from access.gate import Action, client_view
from casework import references
from casework.pdf import PdfResponse

from . import evidence as evidence_files
from . import selectors, services
from .coverage import Status
from .documents import consent_summary_html
from .forms import (
    BasisEndForm,
    ConsentForm,
    LawfulBasisForm,
    ReplacesForm,
    RestrictionForm,
    RestrictionLiftForm,
    ReviewForm,
    WithdrawForm,
)
from .models import ConsentReview

IDENTITY = ["identity"]


def _load_consent(client_id, consent_id, **_):
    return selectors.consent_for_client(client_id, consent_id)


def _load_basis(client_id, basis_id, **_):
    return selectors.basis_for_client(client_id, basis_id)


def _load_evidence(client_id, consent_id, **_):
    return selectors.evidence_for_client(client_id, consent_id)


def _page(access, **extra) -> dict:
    """The context every consent page shares: the client, the gate's answer, the tab."""
    return {"client": access.client, "access": access, "tab": "consent", "today": timezone.localdate(), **extra}


def _apply_service_errors(form, exc: ValidationError) -> None:
    """Put a service's errors beside the fields they name (the rest above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@client_view(action=Action.VIEW, categories=IDENTITY)
def consent_tab(request, access):
    client = access.client
    consents = selectors.group_by_status(selectors.consents_for_client(client))
    bases = selectors.group_by_status(selectors.bases_for_client(client))
    return render(
        request,
        "consent/tab.html",
        _page(
            access,
            active_consents=consents[Status.ACTIVE] + consents[Status.NOT_STARTED],
            withdrawn_consents=consents[Status.WITHDRAWN],
            expired_consents=consents[Status.EXPIRED],
            active_bases=bases[Status.ACTIVE] + bases[Status.NOT_STARTED],
            pending_bases=bases[Status.AWAITING_APPROVAL],
            ended_bases=bases[Status.EXPIRED],
            can_approve=access.is_team_manager,
            restriction=selectors.restriction_for_client(client),
        ),
    )


@client_view(action=Action.VIEW, categories=IDENTITY)
def consent_record(request, access):
    """Record a consent; with `replaces` (from a review that changed a consent), the new one replaces the old."""
    client = access.client
    data = request.POST if request.method == "POST" else request.GET
    replacing, replaces_form = None, None
    if "replaces" in data:
        replaces_form = ReplacesForm(data)
        if replaces_form.is_valid():
            replacing = selectors.consent_for_client(client.pk, replaces_form.cleaned_data["replaces"])
        if replacing is None or replacing.withdrawn_at is not None:
            messages.error(request, "That consent cannot be replaced: it is not in force. Record a new consent.")
            return redirect("consent:tab", client_id=client.pk)
    if request.method == "POST":
        form = ConsentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                if replacing is not None:
                    review = services.consent_replace_at_review(
                        actor=request.user,
                        consent=replacing,
                        how=replaces_form.cleaned_data["review_how"],
                        **form.service_kwargs(),
                    )
                    consent = review.new_consent
                else:
                    consent = services.consent_record(actor=request.user, client=client, **form.service_kwargs())
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                done = "recorded; it replaces the consent reviewed" if replacing else "recorded"
                messages.success(request, f"Consent {done}: {consent.recipients_text}.")
                return redirect("consent:tab", client_id=client.pk)
    else:
        form = ConsentForm()
    return render(
        request,
        "consent/record.html",
        _page(access, form=form, replacing=replacing, replaces_form=replaces_form),
        status=400 if form.is_bound else 200,
    )


@client_view(action=Action.VIEW, categories=IDENTITY, load=_load_consent)
def consent_review(request, access, consent_id):
    """Record a review with the client: reconfirmed, ended, or changed (then record the new consent)."""
    consent = access.obj
    if consent.withdrawn_at is not None:
        messages.info(request, "This consent has been withdrawn: there is nothing to review.")
        return redirect("consent:tab", client_id=access.client.pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["outcome"] == ConsentReview.Outcome.CHANGED:
            # A changed consent is a new consent: record it, linked to this one.
            return redirect(
                f"{reverse('consent:record', args=[access.client.pk])}?"
                + urlencode({"replaces": consent.pk, "review_how": data["how"]})
            )
        service = (
            services.consent_reconfirm
            if data["outcome"] == ConsentReview.Outcome.RECONFIRMED
            else services.consent_end_at_review
        )
        try:
            review = service(
                actor=request.user, consent=consent, how=data["how"], reviewed_at=data["reviewed_at"], note=data["note"]
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            if review.outcome == ConsentReview.Outcome.ENDED:
                messages.success(
                    request, f"Consent to {consent.recipients_text} ended. It no longer covers any sharing."
                )
            elif review.next_review_due:
                messages.success(request, f"Review recorded. Next review by {review.next_review_due:%-d %B %Y}.")
            else:
                messages.success(request, "Review recorded. The consent expires before another review would fall due.")
            return redirect("consent:tab", client_id=access.client.pk)
    return render(
        request,
        "consent/review.html",
        _page(
            access,
            consent=consent,
            form=form,
            reviews=list(consent.reviews.select_related("reviewed_by")),
            period_days=settings.CONSENT_REVIEW_PERIOD_DAYS,
        ),
        status=400 if form.is_bound else 200,
    )


@client_view(action=Action.VIEW, categories=IDENTITY, load=_load_consent)
def consent_detail(request, access, consent_id):
    consent = access.obj
    consent.status = selectors.status_now(consent)
    return render(
        request,
        "consent/detail.html",
        _page(access, consent=consent, history=selectors.consent_history(consent)),
    )


@client_view(action=Action.VIEW, categories=IDENTITY, load=_load_consent)
def consent_withdraw(request, access, consent_id):
    consent = access.obj
    if consent.withdrawn_at is not None:
        messages.info(request, "This consent has already been withdrawn.")
        return redirect("consent:tab", client_id=access.client.pk)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.consent_withdraw(
                    actor=request.user,
                    consent=consent,
                    how=form.cleaned_data["how"],
                    note=form.cleaned_data["note"],
                    at=form.cleaned_data["at"],
                )
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                messages.success(
                    request, f"Consent to {consent.recipients_text} withdrawn. It no longer covers any sharing."
                )
                return redirect("consent:tab", client_id=access.client.pk)
    else:
        form = WithdrawForm()
    return render(
        request,
        "consent/withdraw.html",
        _page(access, consent=consent, form=form),
        status=400 if form.is_bound else 200,
    )


@client_view(action=Action.DOWNLOAD, categories=IDENTITY, purpose="signed consent form", load=_load_evidence)
def evidence_download(request, access, consent_id):
    return evidence_files.file_response(access.obj)


@client_view(action=Action.DOWNLOAD, categories=IDENTITY, purpose="consent summary for the client")
def summary_pdf(request, access):
    client = access.client
    html = consent_summary_html(
        client=client,
        consents=selectors.consents_for_client(client),
        bases=selectors.bases_for_client(client),
    )
    response = PdfResponse(html)  # laid out after the gate's transaction (casework.pdf)
    response["Content-Disposition"] = references.attachment_header(
        references.download_name(client.reference, "consent-summary", "pdf")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@client_view(action=Action.VIEW, categories=IDENTITY)
def basis_record(request, access):
    client = access.client
    if request.method == "POST":
        form = LawfulBasisForm(request.POST)
        if form.is_valid():
            try:
                record = services.lawful_basis_record(actor=request.user, client=client, **form.service_kwargs())
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                note = " A manager must approve it before it covers any sharing." if record.awaiting_approval else ""
                messages.success(request, f"{record.get_basis_display()} basis recorded.{note}")
                return redirect("consent:tab", client_id=client.pk)
    else:
        form = LawfulBasisForm()
    return render(
        request,
        "consent/basis_record.html",
        _page(access, form=form, policies=selectors.basis_policies()),
        status=400 if form.is_bound else 200,
    )


@client_view(action=Action.VIEW, categories=IDENTITY, load=_load_basis, team_manager_only=True)
def basis_approve(request, access, basis_id):
    record = access.obj
    errors = []
    if request.method == "POST":
        try:
            services.lawful_basis_approve(actor=request.user, record=record)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"{record.get_basis_display()} basis approved.")
            return redirect("consent:tab", client_id=access.client.pk)
    return render(
        request,
        "consent/basis_approve.html",
        _page(access, record=record, errors=errors, can_approve=services.can_approve(request.user, record)),
        status=400 if errors else 200,
    )


@client_view(action=Action.VIEW, categories=IDENTITY, load=_load_basis)
def basis_end(request, access, basis_id):
    """End a lawful basis other than consent: the client objected, or the need has passed."""
    record = access.obj
    form = BasisEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lawful_basis_end(
                actor=request.user, record=record, why=form.cleaned_data["why"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{record.get_basis_display()} basis ended. It no longer covers any sharing, "
                "and anything waiting to be sent on it has been stopped.",
            )
            return redirect("consent:tab", client_id=access.client.pk)
    return render(
        request,
        "consent/basis_end.html",
        _page(access, record=record, form=form),
        status=400 if form.is_bound else 200,
    )


@client_view(action=Action.VIEW, categories=IDENTITY)
def restriction(request, access):
    """Restrict sharing about the client (UK GDPR Article 18), or lift the restriction."""
    client = access.client
    current = selectors.restriction_for_client(client)
    form = (RestrictionLiftForm if current else RestrictionForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if current:
                services.restriction_lift(actor=request.user, restriction=current, note=form.cleaned_data["note"])
            else:
                services.restriction_record(actor=request.user, client=client, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                "Restriction lifted."
                if current
                else "Sharing restricted. Nothing is shared, and anything waiting to be sent has been stopped.",
            )
            return redirect("consent:tab", client_id=client.pk)
    return render(
        request,
        "consent/restriction.html",
        _page(access, current=current, form=form),
        status=400 if form.is_bound else 200,
    )
