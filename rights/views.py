"""Clients' rights pages: the subject access register, a client's rights requests, logging,
extending and answering a subject access request.

Only a client's team managers and the information security officer handle rights
requests (`selectors.handled_q`). Every page about a client passes the gate for that
client in one transaction with the view; the ISO, as everywhere, gives a reason first.
A request someone may not handle is refused like an unknown one: one denied audit row
and a 404.
"""

from __future__ import annotations

import functools
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from access.gate import (
    SAFE_METHODS,
    AccessDenied,
    Action,
    Outcome,
    client_view,
    decider_view,
    gate_client,
    record,
    record_list,
    run_gated,
)
from accounts.models import Role
from casework import references
from clients.categories import REGISTRY
from clients.models import Client
from clients.services import UnderLegalHold
from consent.evidence import private_storage
from deadlines import selectors as deadline_selectors

from . import rectification, retention, selectors, services
from .forms import (
    ErasureDecideForm,
    ErasureLogForm,
    RectificationDecideForm,
    RectificationLogForm,
    RetentionApproveForm,
    SarCompleteForm,
    SarExtendForm,
    SarLogForm,
    ToldOtherwiseForm,
    WithholdForm,
)
from .models import ErasureRequest, RectificationRequest, SarPack, SubjectAccessRequest
from .pack import KEY

IDENTITY = ["identity"]
logger = logging.getLogger(__name__)


def _is_iso(user) -> bool:
    return getattr(user, "role", None) == Role.INFORMATION_SECURITY_OFFICER


def _object_view(model, find, label: str, purpose: str, *, action: str = Action.VIEW):
    """A page of one rights request of a client: `view(request, access, obj)`, after the gate.

    `find(user, client_id, obj_id)` returns the request if this person handles it; else one
    denied row and the ordinary 404, as for an unknown id. `action` is what a GET is
    audited as (a POST is an edit).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, client_id, obj_id):
            act = action if request.method in SAFE_METHODS else Action.EDIT

            def open_gate():
                obj = find(request.user, client_id, obj_id)
                if obj is None:
                    owner = model.objects.filter(pk=obj_id, client_id=client_id).values_list("client_id", flat=True)
                    record(
                        request.user,
                        action=act,
                        outcome=Outcome.DENIED,
                        client=Client.objects.filter(pk__in=owner).first(),
                        request=request,
                        purpose=purpose,
                        detail=f"no {label} {str(obj_id)[:20]} this person handles for client {str(client_id)[:20]}",
                    )
                    raise AccessDenied(client_id=None)
                access = gate_client(
                    request,
                    client_id,
                    action=act,
                    obj=obj,
                    categories=IDENTITY,
                    purpose=purpose,
                    team_manager_only=not _is_iso(request.user),
                )
                return access, obj

            return run_gated(request, lambda opened: view(request, *opened), open_gate)

        wrapped.gated = True
        return wrapped

    return decorator


sar_view = _object_view(SubjectAccessRequest, selectors.sar_for, "subject access request", services.PURPOSE)
pack_view = _object_view(SarPack, selectors.pack_for, "subject access pack", services.PURPOSE)
pack_download = _object_view(
    SarPack, selectors.pack_for, "subject access pack", services.PURPOSE, action=Action.DOWNLOAD
)
erasure_view = _object_view(ErasureRequest, selectors.erasure_request_for, "erasure request", "erasure request")


def _page(access, **extra) -> dict:
    return {"client": access.client, "access": access, "tab": "rights", **extra}


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _to_sar(sar):
    return redirect("rights:sar", client_id=sar.client_id, obj_id=sar.pk)


# --- The register --------------------------------------------------------------------------


def register(request):
    """Subject access requests of the manager's teams' clients (ISO: all), soonest deadline first."""
    if not selectors.is_rights_role(request.user):
        raise PermissionDenied
    include_answered = request.GET.get("answered") == "1"
    rows = selectors.sar_register(request.user, include_answered=include_answered)
    # A list naming clients by reference: audit the query, not every row.
    record_list(request.user, action=Action.LIST, request=request, detail="subject access register")
    rectifications = rectification.register_rows(request.user, include_decided=include_answered)
    return render(
        request,
        "rights/register.html",
        {"rows": rows, "include_answered": include_answered, "rectifications": rectifications},
    )


# --- On the client's record ----------------------------------------------------------------


@decider_view(categories=IDENTITY, purpose="rights requests")
def client_requests(request, access):
    client = access.client
    today = timezone.localdate()
    sars = [selectors.RegisterRow(sar, sar.days_left(today)) for sar in selectors.sars_for_client(request.user, client)]
    return render(
        request,
        "rights/client.html",
        _page(
            access,
            sars=sars,
            erasures=list(selectors.erasure_requests_for_client(request.user, client)),
            rectifications=rectification.register_rows(request.user, include_decided=True, client=client),
        ),
    )


@decider_view(categories=IDENTITY, purpose=services.PURPOSE)
def sar_new(request, access):
    form = SarLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sar = services.sar_log(actor=request.user, client=access.client, request=request, **form.service_kwargs())
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.NotRightsOfficer as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, f"Subject access request {sar.reference} logged: due {sar.due_on:%d %B %Y}.")
            return _to_sar(sar)
    return render(request, "rights/sar_new.html", _page(access, form=form), status=400 if form.is_bound else 200)


@sar_view
def sar_detail(request, access, sar):
    step = request.POST.get("step") if request.method == "POST" else None
    if step == "pack":
        try:
            pack = services.sar_pack_request(actor=request.user, sar=sar, request=request)
        except services.NotRightsOfficer as exc:
            raise PermissionDenied from exc
        except services.PackReleased as exc:
            messages.error(request, exc.messages[0])
            return _to_sar(sar)
        return redirect("rights:pack", client_id=sar.client_id, obj_id=pack.pk)
    extend = SarExtendForm(request.POST if step == "extend" else None, prefix="extend")
    complete = SarCompleteForm(request.POST if step == "complete" else None, prefix="complete")
    form = {"extend": extend, "complete": complete}.get(step)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if step == "extend":
                services.sar_extend(
                    actor=request.user,
                    sar=sar,
                    months=data["months"],
                    reason=data["reason"],
                    told_on=data["told_on"],
                    request=request,
                )
                messages.success(request, "The deadline has been extended.")
            else:
                services.sar_complete(
                    actor=request.user, sar=sar, completed_on=data["completed_on"], note=data["note"], request=request
                )
                messages.success(request, "The request is recorded as answered.")
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.NotRightsOfficer as exc:
            raise PermissionDenied from exc
        else:
            return _to_sar(sar)
    today = timezone.localdate()
    return render(
        request,
        "rights/sar_detail.html",
        _page(
            access,
            sar=sar,
            row=selectors.RegisterRow(sar, sar.days_left(today)),
            extend=extend,
            complete=complete,
            can_extend=sar.is_open and sar.extension_months < 2,
            packs=list(sar.packs.annotate(withheld=Count("withholdings")).order_by("-requested_at")[:5]),
            release=getattr(sar, "release", None),
        ),
        status=400 if form is not None else 200,
    )


# --- Erasure requests ------------------------------------------------------------------------


def _to_erasure(erasure):
    return redirect("rights:erasure", client_id=erasure.client_id, obj_id=erasure.pk)


@decider_view(categories=IDENTITY, purpose="erasure request")
def erasure_new(request, access):
    form = ErasureLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure = services.erasure_request_log(
                actor=request.user, client=access.client, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.NotRightsOfficer as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, "The erasure request is logged.")
            return _to_erasure(erasure)
    return render(request, "rights/erasure_new.html", _page(access, form=form), status=400 if form.is_bound else 200)


@erasure_view
def erasure_detail(request, access, erasure):
    form = ErasureDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.erasure_request_decide(
                actor=request.user,
                erasure_request=erasure,
                grant={"grant": True, "refuse": False}.get(data["decision"]),
                ground=data["ground"],
                exemption=data["exemption"],
                note=data["note"],
                request=request,
            )
        except UnderLegalHold as exc:
            form.add_error(None, exc)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.NotRightsOfficer as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, "The erasure request is decided.")
            return _to_erasure(erasure)
    return render(
        request,
        "rights/erasure_detail.html",
        _page(access, erasure=erasure, form=form),
        status=400 if form.is_bound else 200,
    )


# --- Subject access packs --------------------------------------------------------------------


@pack_view
def pack(request, access, pack):
    return render(
        request,
        "rights/pack.html",
        _page(
            access,
            pack=pack,
            release=getattr(pack, "release", None),
            sar_release=getattr(pack.sar, "release", None),
            worker_stale=_worker_stale(waiting=pack.in_progress),
        ),
    )


def _worker_stale(*, waiting: bool):
    """The sweep's heartbeat when something waits for the worker and the sweep has stopped, else None.

    The worker runs beat's deadline sweep every few minutes (deadlines.SweepHeartbeat); when
    that has not happened for DEADLINE_SWEEP_STALE_MINUTES, a queued pack or batch is not
    being worked on either, and the page must say so rather than "waiting".
    """
    if not waiting:
        return None
    state = deadline_selectors.heartbeat_state(timezone.now())
    return state if state.stale else None


def _pack_file(pack, *, pdf: bool):
    name = pack.pdf_name if pdf else pack.archive_name
    if not pack.is_ready or not name:
        raise Http404("No pack file.")
    return FileResponse(
        private_storage().open(name, "rb"),
        as_attachment=True,
        filename=references.download_name(pack.sar.reference, "subject-access-pack", "pdf" if pdf else "zip"),
        content_type="application/pdf" if pdf else "application/zip",
    )


@pack_download
def pack_pdf(request, access, pack):
    return _pack_file(pack, pdf=True)


@pack_download
def pack_archive(request, access, pack):
    return _pack_file(pack, pdf=False)


# --- Review before release (UK GDPR Art 15(4)) -------------------------------------------------


def _to_review(pack, anchor: str = ""):
    url = reverse("rights:review", args=[pack.client_id, pack.pk])
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _item_anchor(key: str) -> str:
    return "item-" + key.replace(":", "")


@pack_view
def review(request, access, pack):
    """The compiled pack item by item: withhold or put back each item, then release (POST step=release)."""
    release = getattr(pack, "release", None)
    step = request.POST.get("step") if request.method == "POST" else None
    try:
        if step == "include":
            key = request.POST.get("item", "")[:100]
            if services.sar_item_include(actor=request.user, pack=pack, item_key=key, request=request):
                messages.success(request, "The item is back in the pack.")
            return _to_review(pack, _item_anchor(key))
        if step == "release":
            services.sar_pack_release_request(actor=request.user, pack=pack, request=request)
            messages.success(request, "The pack is being released. This page shows the client's copy when it is ready.")
            return _to_review(pack)
    except services.NotRightsOfficer as exc:
        raise PermissionDenied from exc
    except (ValidationError, selectors.PackUnreadable) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        return _to_review(pack)
    sections, unreadable = [], False
    if pack.is_ready and release is None and not pack.releasing:
        try:
            sections = selectors.pack_review(pack)
        except selectors.PackUnreadable:
            unreadable = True
    sar_release = getattr(pack.sar, "release", None)
    return render(
        request,
        "rights/review.html",
        _page(
            access,
            pack=pack,
            sections=sections,
            release=release,
            other_release=sar_release if sar_release is not None and release is None else None,
            unreadable=unreadable,
            withheld_count=sum(section.withheld_count for section in sections),
            item_count=sum(len(section.items) for section in sections),
        ),
    )


@pack_view
def review_withhold(request, access, pack):
    """One item of the compiled pack, and the form that withholds it with an exemption and a note."""
    if getattr(pack, "release", None) is not None:
        messages.error(request, "This pack has been released: its decisions cannot be changed.")
        return _to_review(pack)
    key = (request.POST.get("item") if request.method == "POST" else request.GET.get("item")) or ""
    try:
        found = selectors.pack_item(pack, key[:100]) if pack.is_ready else None
    except selectors.PackUnreadable:
        found = None
    if found is None:
        raise Http404("No such item in this pack.")
    title, row = found
    current = pack.withholdings.filter(item_key=key).first()
    initial = {"exemption": current.exemption, "note": current.note} if current else None
    form = WithholdForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.sar_item_withhold(
                actor=request.user,
                pack=pack,
                item_key=key,
                exemption=form.cleaned_data["exemption"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except services.NotRightsOfficer as exc:
            raise PermissionDenied from exc
        except services.PackReleased as exc:
            messages.error(request, exc.messages[0])
            return _to_review(pack)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "The item is withheld.")
            return _to_review(pack, _item_anchor(key))
    fields = [(name.replace("_", " ").capitalize(), value) for name, value in row.items() if name != KEY and value]
    return render(
        request,
        "rights/review_withhold.html",
        _page(access, pack=pack, key=key, section_title=title, fields=fields, form=form, current=current),
        status=400 if form.is_bound else 200,
    )


# --- Retention (UK GDPR Art 5(1)(e)) ----------------------------------------------------------

RETENTION_LIST_ROWS = 50
SKIPPED_LIST_ROWS = 200


def retention_page(request):
    """The schedule, what is past it now (closed cases by reference; those a legal hold keeps, with its
    reason), approving a batch, the batches, and the daily reviews. Service managers (their teams) and the ISO."""
    if not retention.handles_retention(request.user):
        raise PermissionDenied
    team_ids = retention.team_ids(request.user)
    teams = retention.teams_for(request.user)
    form = RetentionApproveForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            batch = retention.retention_batch_approve(
                actor=request.user, team=form.cleaned_data["team"], request=request
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"Approved: {batch.total} closed case{'s' if batch.total != 1 else ''} queued for anonymisation.",
            )
            return redirect("rights:retention_batch", batch_id=batch.pk)
    statuses = retention.retention_status(team_ids=team_ids)
    closed = next((s.rule for s in statuses if s.rule.kind == retention.Kind.CLOSED_CASES), None)
    due, held = [], []
    if closed is not None:
        due = list(retention.due_clients(closed, team_ids=team_ids).select_related("team")[:RETENTION_LIST_ROWS])
        held = list(retention.held_clients(closed, team_ids=team_ids).select_related("team")[:SKIPPED_LIST_ROWS])
        for client in due:
            client.retention_ended_on = retention.ends_on(client.closed_on, closed.period_months)
    reviews = retention.latest_reviews()
    if team_ids is not None:
        mine = {str(pk) for pk in team_ids}
        for review in reviews:
            review.my_teams_due = sum(n for team, n in review.by_team.items() if team in mine)
    # A list naming clients by reference: audit the query, not every row.
    record_list(request.user, action=Action.LIST, request=request, detail="retention: records past their period")
    return render(
        request,
        "rights/retention.html",
        {
            "statuses": statuses,
            "closed_rule": closed,
            "closed_status": next((s for s in statuses if s.anonymisable), None),
            "due": due,
            "held": held,
            "form": form,
            "batches": list(retention.batches_for(request.user)[:10]),
            "reviews": reviews,
            "all_teams": team_ids is None,
        },
        status=400 if form.is_bound else 200,
    )


def _release_file(pack, *, pdf: bool):
    release = getattr(pack, "release", None)
    if release is None:
        raise Http404("This pack has not been released.")
    if release.content_removed_at is not None:
        return HttpResponse(
            f"The content of this released pack was removed on "
            f"{timezone.localtime(release.content_removed_at):%d %B %Y}, after the period it was kept for "
            "legal claims. Its SHA-256 fingerprints are kept.",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    try:
        data = selectors.release_file(release, pdf=pdf)
    except selectors.PackUnreadable as exc:
        # A frozen file whose bytes changed is not given to anyone: say so, loudly.
        logger.error("Released subject access pack %s: %s", release.pk, exc)
        return HttpResponse(
            "The released file does not match what was released. Tell the information security officer.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(data, content_type="application/pdf" if pdf else "application/zip")
    response["Content-Disposition"] = references.attachment_header(
        references.download_name(pack.sar.reference, "subject-access-pack-released", "pdf" if pdf else "zip")
    )
    return response


@pack_download
def release_pdf(request, access, pack):
    return _release_file(pack, pdf=True)


@pack_download
def release_archive(request, access, pack):
    return _release_file(pack, pdf=False)


def retention_batch(request, batch_id):
    """One approved batch: its progress (the page reloads itself while it runs) and its report."""
    if not retention.handles_retention(request.user):
        raise PermissionDenied
    batch = retention.batch_for(request.user, batch_id)
    if batch is None:
        raise Http404("No such batch.")
    skipped = list(retention.skipped_items(batch)[:SKIPPED_LIST_ROWS])
    record_list(request.user, action=Action.LIST, request=request, detail=f"retention batch {batch.reference}")
    return render(
        request,
        "rights/retention_batch.html",
        {
            "batch": batch,
            "skipped": skipped,
            "more_skipped": max(0, batch.skipped - len(skipped)),
            "worker_stale": _worker_stale(waiting=not batch.finished),
        },
    )


# --- Rectification (Art 16) and telling recipients of a correction (Art 19) -------------------------

EVERY_CATEGORY = list(REGISTRY)


def _anchor(item_key: str) -> str:
    return "item-" + item_key.replace(":", "-")


def _corrections_url(client_id: int, item_key: str = "") -> str:
    url = reverse("rights:corrections", args=[client_id])
    return f"{url}#{_anchor(item_key)}" if item_key else url


def _notify_refused(request, access, item_key: str):
    """Seeing who holds an older version is not telling them: a denied row, and the 403 page."""
    record(
        request.user,
        action=Action.SHARE,
        outcome=Outcome.DENIED,
        client=access.client,
        request=request,
        purpose=rectification.NOTICE_PURPOSE,
        detail=f"only the key worker or a team manager tells recipients of a correction ({item_key[:40]})",
    )
    return render(request, "403.html", status=403)


@client_view(Action.VIEW, categories=EVERY_CATEGORY, purpose="corrections to pass on")
def corrections(request, access):
    """What recipients hold in an older version, who they are, and telling them (one click)."""
    client = access.client
    may_notify = rectification.can_notify(request.user, client)
    bound = None
    if request.method == "POST":
        step = request.POST.get("step", "")
        item_key = request.POST.get("item", "")[:60]
        if not may_notify:
            return _notify_refused(request, access, item_key)
        if step == "notify":
            chosen = [value[:60] for value in request.POST.getlist("recipient")] or None
            try:
                result = rectification.rectification_notify(
                    actor=request.user, client=client, item=item_key, recipients=chosen, request=request
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _notified_message(result))
            return redirect(_corrections_url(client.pk, item_key))
        if step == "other":
            recipient = request.POST.get("recipient", "")[:60]
            form = ToldOtherwiseForm(request.POST, prefix=f"other-{recipient}")
            if form.is_valid():
                try:
                    rectification.rectification_told_otherwise(
                        actor=request.user,
                        client=client,
                        item=item_key,
                        recipient=recipient,
                        how=form.cleaned_data["how"],
                        note=form.cleaned_data["note"],
                        request=request,
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc)
                else:
                    messages.success(request, "Recorded: the recipient was told of the correction.")
                    return redirect(_corrections_url(client.pk, item_key))
            bound = (item_key, recipient, form)
    items = rectification.corrected_items(client)
    for item in items:
        item.anchor = _anchor(item.key)
        for recipient in item.pending:
            prefix = f"other-{recipient.id}"
            matches = bound is not None and bound[0] == item.key and bound[1] == recipient.id
            recipient.other_form = bound[2] if matches else ToldOtherwiseForm(prefix=prefix)
            recipient.other_form.auto_id = f"{item.anchor}-{prefix}-%s"
    return render(
        request,
        "rights/rectification_corrections.html",
        {
            "client": client,
            "access": access,
            "tab": "information",
            "items": items,
            "may_notify": may_notify,
        },
        status=400 if bound is not None else 200,
    )


def _notified_message(result) -> str:
    parts = []
    if result.emails:
        parts.append(
            f"{result.emails} e-mail{'s' if result.emails != 1 else ''} queued to the recipients' registered "
            f"secure address{'es' if result.emails != 1 else ''}."
        )
    withheld = [n for n in result.notices if n.withheld_reason]
    if withheld:
        parts.append(f"{len(withheld)} said only that the information was corrected: {withheld[0].withheld_reason}")
    if result.already_told and not result.notices:
        parts.append("They had already been told of this correction: nothing was sent again.")
    if result.other_means:
        names = ", ".join(sorted({r.name for r in result.other_means}))
        parts.append(f"No registered address for {names}: tell them another way and record it below.")
    return " ".join(parts) or "Nothing to send."


rectification_view = _object_view(
    RectificationRequest, rectification.request_for, "rectification request", rectification.PURPOSE
)


@decider_view(categories=IDENTITY, purpose=rectification.PURPOSE)
def rectification_new(request, access):
    form = RectificationLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            obj = rectification.rectification_request_log(
                actor=request.user, client=access.client, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except rectification.NotRightsOfficer as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, f"Rectification request logged: due {obj.due_on:%-d %B %Y}.")
            return redirect("rights:rectification", client_id=obj.client_id, obj_id=obj.pk)
    return render(
        request, "rights/rectification_new.html", _page(access, form=form), status=400 if form.is_bound else 200
    )


@rectification_view
def rectification_detail(request, access, obj):
    form = RectificationDecideForm(request.POST or None, prefix="decide")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rectification.rectification_request_decide(
                actor=request.user,
                rectification=obj,
                decision=data["decision"],
                reason=data["reason"],
                outcome_on=data["outcome_on"],
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except rectification.NotRightsOfficer as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, "The rectification request is decided.")
            return redirect("rights:rectification", client_id=obj.client_id, obj_id=obj.pk)
    today = timezone.localdate()
    return render(
        request,
        "rights/rectification_detail.html",
        _page(
            access,
            obj=obj,
            row=rectification.RequestRow(obj, obj.days_left(today)),
            form=form,
        ),
        status=400 if form.is_bound else 200,
    )
