"""Letters between agencies for the registry: the letters that arrived from other agencies (ลงรับ,
ปฏิเสธ, แจ้งว่าส่งผิด), sending a signed letter and following each addressee's delivery on the letter's
page, and the directory of agencies to find their letter codes.

Thin views, as in :mod:`admin.saraban_views`: :mod:`engine.services.saraban.exchange` decides who may
do what and when; a refusal comes back with its Thai text next to the form or field it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, g, redirect, request, url_for

from admin import any_role, blueprint
from admin.saraban_views import (
    CLERK,
    _actor,
    _field,
    _first_entry,
    _letter_id,
    _lines,
    _ordered,
    _problems,
    _refused,
    _render,
    _status,
)
from engine.saraban.errors import InvalidLetter, SarabanError
from engine.saraban.exchange.faults import ExchangeFault
from engine.saraban.vocabulary import INBOUND_STATES
from engine.services.saraban import agencies, arrivals, exchange, organisation
from engine.store.models import Agency, Letter
from renderers.back_office import ErrorItem, flash_key
from renderers.web import download
from thongthin.app import platform

# Letter codes the send form takes at once: a circular goes to a province's districts, not further.
MAX_ADDRESSEES = 100
# The directory shown as suggestions and on the search page: enough for a province's agencies.
DIRECTORY_LIMIT = 200
RECEIPT_MAX = 80
REASON_MAX = 2000


@blueprint.context_processor
def exchange_context() -> dict[str, Any]:
    def arrivals_waiting() -> int:
        """The count next to the arrivals link, read only when a page of the registry draws it."""
        if g.get("user") is None:
            return 0
        return int(platform().db(arrivals.waiting(g.tenant, _actor())))

    return {"arrivals_waiting": arrivals_waiting}


def _receipt(raw: str) -> str:
    if len(raw) > RECEIPT_MAX:
        abort(404)
    return raw


# --- the letters that arrived -------------------------------------------------------------------


@blueprint.get("/saraban/arrivals")
@any_role(CLERK)
def saraban_arrivals() -> Any:
    """Letters from other agencies by state, the oldest first; those awaiting ลงรับ by default."""
    state = request.args.get("state", "pending")
    if state not in INBOUND_STATES:
        state = "pending"
    items = platform().db(exchange.incoming(g.tenant, _actor(), state=state))
    return _render(
        "admin/saraban_arrivals.html",
        errors=[],
        items=items,
        state=state,
        states=list(INBOUND_STATES),
    )


def _arrival_page(
    receipt: str,
    errors: list[ErrorItem] | None = None,
    given: Mapping[str, Any] | None = None,
    status: int = 200,
) -> Any:
    item, files = platform().db(arrivals.documents(g.tenant, _actor(), receipt, platform().saraban_exchange))
    letter = (
        platform().db(Letter.get_or_none(id=item.letter_id, tenant_id=g.tenant.id))
        if item.letter_id
        else None
    )
    if not arrivals.answerable(item):
        # Answered meanwhile: its forms are gone, so a refusal points at the section that says so.
        errors = [ErrorItem("answers", e.key, e.text) for e in errors or []]
    return _render(
        "admin/saraban_arrival.html",
        errors=errors or [],
        status=status,
        item=item,
        files=files,
        letter=letter,
        may_answer=arrivals.answerable(item),
        given=given or {},
    )


@blueprint.get("/saraban/arrivals/<receipt>")
@any_role(CLERK)
def saraban_arrival(receipt: str) -> Any:
    """One letter that arrived: its particulars, its files, and ลงรับ, ปฏิเสธ or แจ้งว่าส่งผิด."""
    return _arrival_page(_receipt(receipt))


@blueprint.get("/saraban/arrivals/<receipt>/files/<int:index>")
@any_role(CLERK)
def saraban_arrival_file(receipt: str, index: int) -> Any:
    """A file of the letter as it arrived (the main PDF or an enclosure), byte for byte."""
    try:
        found, data = platform().db(
            arrivals.document(g.tenant, _actor(), _receipt(receipt), index, platform().saraban_exchange)
        )
    except ExchangeFault:
        abort(404)  # a file whose digest no longer matches is not handed out
    return download(data, found.filename, found.mime)


def _answer_refused(receipt: str, error: SarabanError, form: str, given: Mapping[str, Any]) -> Any:
    items = _ordered(
        _problems(error, f"{form}-", ("reason", "remark"), form), ("remark", "reason"), f"{form}-"
    )
    return _arrival_page(receipt, items, given, _status(error))


@blueprint.post("/saraban/arrivals/<receipt>/register")
@any_role(CLERK)
def saraban_arrival_register(receipt: str) -> Any:
    """ลงรับ: the letter gets its เลขรับ here, and the number goes back to the sender."""
    receipt = _receipt(receipt)
    remark = _field("remark", REASON_MAX)
    try:
        letter = platform().db(
            exchange.register(g.tenant, _actor(), receipt, platform().saraban_exchange, remark=remark.strip())
        )
    except SarabanError as error:
        return _answer_refused(receipt, error, "register", {"remark": remark})
    entry = _first_entry(letter.id)
    flash_key(
        "saraban.arrivals.registered",
        number=entry.number_text if entry else "",
        subject=letter.subject,
        sender=letter.sender,
    )
    return redirect(url_for("admin.saraban_letter", public_id=letter.public_id))


def _answer(receipt: str, form: str) -> Any:
    receipt = _receipt(receipt)
    reason = _field("reason", REASON_MAX)
    answer = exchange.reject if form == "reject" else exchange.report_wrong_delivery
    try:
        item = platform().db(answer(g.tenant, _actor(), receipt, platform().saraban_exchange, reason=reason))
    except SarabanError as error:
        return _answer_refused(receipt, error, form, {f"{form}_reason": reason})
    flash_key(f"saraban.arrivals.{form}_done", subject=item.subject, sender=item.peer_name)
    return redirect(url_for("admin.saraban_arrivals", state=item.state))


@blueprint.post("/saraban/arrivals/<receipt>/reject")
@any_role(CLERK)
def saraban_arrival_reject(receipt: str) -> Any:
    """ปฏิเสธ, with the reason the sender is told."""
    return _answer(receipt, "reject")


@blueprint.post("/saraban/arrivals/<receipt>/wrong-delivery")
@any_role(CLERK)
def saraban_arrival_wrong_delivery(receipt: str) -> Any:
    """แจ้งว่าส่งผิด: the letter is not for this agency, with the reason the sender is told."""
    return _answer(receipt, "wrong")


# --- the directory ------------------------------------------------------------------------------


def _directory(query: str = "") -> list[Agency]:
    found: list[Agency] = platform().db(agencies.directory(query, limit=DIRECTORY_LIMIT))
    return [a for a in found if a.letter_code]


@blueprint.get("/saraban/agencies")
def saraban_agencies() -> Any:
    """The directory by name or letter code, to copy a code into the letter's addressees."""
    actor = _actor()
    if not (actor.is_clerk or actor.units):
        abort(403)
    q = request.args.get("q", "")[:200]
    return _render(
        "admin/saraban_agencies.html",
        errors=[],
        q=q,
        found=_directory(q) if q.strip() else [],
        searched=bool(q.strip()),
        limit=DIRECTORY_LIMIT,
    )


# --- sending from the letter's page ---------------------------------------------------------------


def letter_exchange(letter: Letter, actor: organisation.Actor) -> dict[str, Any]:
    """The letter page's part on other agencies: each addressee's delivery, and for the registry the
    send form's choices and the actions each row allows now."""
    rows = platform().db(exchange.deliveries(g.tenant, letter))
    sendable = actor.is_clerk and arrivals.may_send(letter)
    named: list[tuple[str, str]] = []
    if sendable:
        for code in letter.addressees or []:
            try:
                agency = platform().db(agencies.find(code))
            except agencies.AgencyNotFound:
                named.append((code, code))
                continue
            named.append((code, f"{agency.name_th} ({code})"))
    return {
        "deliveries": rows,
        "delivery_actions": arrivals.row_actions(rows) if actor.is_clerk else {},
        "may_send": sendable,
        "addressee_options": named,
        "directory": _directory() if sendable else [],
    }


def _row_of_form() -> tuple[str, str]:
    """The addressee's letter code and the row's id (it names the form's fields on the page again)."""
    row = _field("row", 20)
    return _field("agency", 60).strip(), row if row.isdigit() else "0"


@blueprint.post("/saraban/letters/<public_id>/send")
@any_role(CLERK)
def saraban_send(public_id: str) -> Any:
    """Send the signed letter to the addressees ticked and the code added, each as its own message."""
    public_id = _letter_id(public_id)
    ticked = [c[:60] for c in request.form.getlist("to")[:MAX_ADDRESSEES]]
    more = _field("to_more", 2000)
    codes = list(dict.fromkeys([*ticked, *_lines(more.replace(",", "\n"))]))[:MAX_ADDRESSEES]
    given = {"to": tuple(ticked), "to_more": more}
    try:
        if not codes:
            # No box ticked and no code typed: the engine would fall back to every addressee drafted.
            raise InvalidLetter(
                "choose at least one addressee", th="กรุณาเลือกหน่วยงานผู้รับอย่างน้อยหนึ่งหน่วยงาน", field="to"
            )
        made = platform().db(
            exchange.send(g.tenant, _actor(), public_id, platform().saraban_exchange, to=codes)
        )
    except SarabanError as error:
        return _refused(public_id, error, "send-", ("to",), given)
    flash_key("saraban.exchange.sent" if made else "saraban.exchange.sent_none", count=str(len(made)))
    return redirect(url_for("admin.saraban_letter", public_id=public_id) + "#deliveries")


@blueprint.post("/saraban/letters/<public_id>/withdraw")
@any_role(CLERK)
def saraban_withdraw(public_id: str) -> Any:
    """ถอนเพื่อส่งใหม่: the addressee is told, and the letter may then be sent to it again."""
    public_id = _letter_id(public_id)
    code, row = _row_of_form()
    reason = _field("reason", REASON_MAX)
    try:
        platform().db(
            exchange.withdraw(g.tenant, _actor(), public_id, code, platform().saraban_exchange, reason=reason)
        )
    except SarabanError as error:
        return _refused(public_id, error, f"withdraw-{row}-", ("reason",), {f"withdraw_{row}": reason})
    flash_key("saraban.exchange.withdrawn")
    return redirect(url_for("admin.saraban_letter", public_id=public_id) + "#deliveries")


@blueprint.post("/saraban/letters/<public_id>/resend")
@any_role(CLERK)
def saraban_resend(public_id: str) -> Any:
    """ส่งใหม่: the same letter to the same addressee as a new message, its next round."""
    public_id = _letter_id(public_id)
    code, row = _row_of_form()
    try:
        platform().db(exchange.resend(g.tenant, _actor(), public_id, code, platform().saraban_exchange))
    except SarabanError as error:
        return _refused(public_id, error, f"resend-{row}-", (), {})
    flash_key("saraban.exchange.resent")
    return redirect(url_for("admin.saraban_letter", public_id=public_id) + "#deliveries")


@blueprint.post("/saraban/letters/<public_id>/wrong-accept-id")
@any_role(CLERK)
def saraban_wrong_accept_id(public_id: str) -> Any:
    """แจ้งเลขรับผิด: the addressee is told the เลขรับ it sent back is not right."""
    public_id = _letter_id(public_id)
    code, row = _row_of_form()
    reason = _field("reason", REASON_MAX)
    try:
        platform().db(
            exchange.report_wrong_accept_id(
                g.tenant, _actor(), public_id, code, platform().saraban_exchange, reason=reason
            )
        )
    except SarabanError as error:
        return _refused(public_id, error, f"accept-{row}-", ("reason",), {f"accept_{row}": reason})
    flash_key("saraban.exchange.wrong_accept_id_sent")
    return redirect(url_for("admin.saraban_letter", public_id=public_id) + "#deliveries")
