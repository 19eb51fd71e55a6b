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

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from access.gate import (
    SAFE_METHODS,
    AccessDenied,
    Action,
    Outcome,
    client_view,
    gate_client,
    record,
    record_list,
    run_gated,
)
from accounts.models import Role
from clients.categories import REGISTRY
from clients.models import Client
from clients.services import UnderLegalHold
from consent.evidence import private_storage

from . import rectification, selectors, services
from .forms import (
    ErasureDecideForm,
    ErasureLogForm,
    RectificationDecideForm,
    RectificationLogForm,
    SarCompleteForm,
    SarExtendForm,
    SarLogForm,
    ToldOtherwiseForm,
)
from .models import ErasureRequest, RectificationRequest, SarPack, SubjectAccessRequest

IDENTITY = ["identity"]


def _is_iso(user) -> bool:
    return getattr(user, "role", None) == Role.INFORMATION_SECURITY_OFFICER


def rights_client_view(*, action: str = Action.VIEW, post_action: str = Action.EDIT, purpose: str = ""):
    """A client page for the client's team managers and the ISO: `view(request, access, **kwargs)`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, client_id, **kwargs):
            act = action if request.method in SAFE_METHODS else post_action

            def open_gate():
                return gate_client(
                    request,
                    client_id,
                    action=act,
                    categories=IDENTITY,
                    purpose=purpose,
                    team_manager_only=not _is_iso(request.user),
                )

            return run_gated(request, lambda access: view(request, access, **kwargs), open_gate)

        wrapped.gated = True
        return wrapped

    return decorator


def _object_view(model, find, label: str, purpose: str):
    """A page of one rights request of a client: `view(request, access, obj)`, after the gate.

    `find(user, client_id, obj_id)` returns the request if this person handles it; else one
    denied row and the ordinary 404, as for an unknown id.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, client_id, obj_id):
            act = Action.VIEW if request.method in SAFE_METHODS else Action.EDIT

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


@rights_client_view(purpose="rights requests")
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


@rights_client_view(purpose=services.PURPOSE)
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
            packs=list(sar.packs.order_by("-requested_at")[:5]),
        ),
        status=400 if form is not None else 200,
    )


# --- Erasure requests ------------------------------------------------------------------------


def _to_erasure(erasure):
    return redirect("rights:erasure", client_id=erasure.client_id, obj_id=erasure.pk)


@rights_client_view(purpose="erasure request")
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
    return render(request, "rights/pack.html", _page(access, pack=pack))


def _pack_file(pack, *, pdf: bool):
    name = pack.pdf_name if pdf else pack.archive_name
    if not pack.is_ready or not name:
        raise Http404("No pack file.")
    filename = f"{pack.sar.reference}.{'pdf' if pdf else 'zip'}"
    return FileResponse(
        private_storage().open(name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf" if pdf else "application/zip",
    )


@_object_view(SarPack, selectors.pack_for, "subject access pack", services.PURPOSE)
def pack_pdf(request, access, pack):
    return _pack_file(pack, pdf=True)


@_object_view(SarPack, selectors.pack_for, "subject access pack", services.PURPOSE)
def pack_archive(request, access, pack):
    return _pack_file(pack, pdf=False)


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


@rights_client_view(purpose=rectification.PURPOSE)
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
