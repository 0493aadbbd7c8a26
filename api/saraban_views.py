"""``/api/v1/tenants/<tenant>/saraban/``: official correspondence (งานสารบรรณ) for an officer's programs.

Thin: read the request, call :mod:`engine.services.saraban`, answer JSON. Every call needs an
officer's bearer token of the municipality in the path. A letter the officer may not open is
404, as if it did not exist. Acting on a letter takes the ``version`` read: when someone acted
meanwhile the answer is 409 ``letter_changed`` and nothing is changed. Field errors are 422
``invalid_letter`` with ``errors: [{field, message, message_th}]``.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, jsonify, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from api.auth import officer_of
from api.body import read_json
from api.errors import ApiError
from api.views import blueprint, tenant_or_404
from engine.saraban.errors import FieldProblem, InvalidLetter, LetterNotFound, NotAllowed
from engine.saraban.vocabulary import (
    ACTIONS,
    BOOKS,
    ENTRY_STATES,
    KINDS,
    RETENTION_CLASSES,
    STATUSES,
)
from engine.services.saraban import (
    audit,
    letters,
    numbers,
    organisation,
    registers,
    reports,
    retention,
    search,
)
from engine.services.saraban.letters import Incoming, Outgoing
from engine.services.saraban.organisation import Actor
from engine.store.models import DestructionList, Letter, OrgUnit, RegisterEntry, RoutingStep, Tenant, User
from thongthin.app import platform

PREFIX = "/tenants/<tenant>/saraban"
# A letter's file comes in base64 inside JSON (4 bytes for every 3) or as a multipart part.
MAX_FILE_BYTES = letters.MAX_FILE_BYTES
MAX_LETTER_BODY = MAX_FILE_BYTES * 4 // 3 + 64 * 1024
MAX_BODY = int(os.environ.get("THONGTHIN_MAX_JSON_BYTES", str(1024 * 1024)) or 1024 * 1024)
MAX_INT = 2_147_483_647
YEARS = (2400, 2800)  # the Buddhist-Era years a register can be asked for
TARGET_KINDS = ("unit", "user", "role")
STEP_IMMUTABLE_TH = "ขั้นตอนการเกษียนที่บันทึกแล้วแก้ไขหรือลบไม่ได้ หากต้องการแก้ไข โปรดเกษียนเพิ่มเป็นขั้นตอนใหม่"


class LetterId(BaseConverter):
    """A letter's public ID in a path: any segment but ``incoming``, which names the receiving
    endpoint (so ``/letters/incoming`` answers only POST, and says so in ``Allow``)."""

    regex = r"(?!incoming(?:/|$))[^/]+"


def _converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["letter"] = LetterId


blueprint.record_once(_converters)


# --- who is calling ---


def office(slug: str) -> tuple[Tenant, Actor]:
    """The municipality and the officer behind the bearer token.

    Raises TenantNotFound (404), ApiError 401 without a valid token, 403 for another municipality's.
    """
    tenant = tenant_or_404(slug)
    caller = officer_of(tenant)
    if caller is None or caller.user is None:
        raise ApiError(401, "unauthorized", "give an officer's bearer token", message_th="กรุณาเข้าสู่ระบบ")
    return tenant, platform().db(organisation.actor(tenant, caller.user))


# --- reading a request ---


def _bounded(limit: int) -> bytes:
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(
            413, "request_entity_too_large", f"the body is larger than {limit} bytes", limit_bytes=limit
        )
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(
            413, "request_entity_too_large", f"the body is larger than {limit} bytes", limit_bytes=limit
        )
    return raw


def body_of(limit: int = MAX_BODY) -> dict[str, Any]:
    """The JSON object of the request, at most ``limit`` bytes; raises ApiError 413 or 400."""
    body = read_json(_bounded(limit))
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    return body


def optional_body(limit: int = MAX_BODY) -> dict[str, Any]:
    """The JSON object of the request, or ``{}`` without a body; raises ApiError 413 or 400."""
    raw = _bounded(limit)
    if not raw.strip():
        return {}
    body = read_json(raw)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    return body


class Fields:
    """Reads typed fields of a request body, collecting what is wrong (in Thai and English)."""

    def __init__(self, body: dict[str, Any]):
        self.body = body
        self.problems: list[FieldProblem] = []

    def wrong(self, name: str, message: str, message_th: str) -> None:
        self.problems.append(FieldProblem(name, message, message_th))

    def text(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self.body.get(name)
        if value is None:
            if required:
                self.wrong(name, f"{name} is required", f"กรุณาระบุ {name}")
            return default
        if not isinstance(value, str):
            self.wrong(name, f"{name} must be text", f"{name} ต้องเป็นข้อความ")
            return default
        return value

    def code(self, name: str, allowed: dict[str, Any], *, default: str | None = None) -> str:
        value = self.text(name, required=default is None, default=default or "")
        if isinstance(self.body.get(name), str) and value not in allowed:
            self.wrong(
                name,
                f"{name} must be one of {', '.join(allowed)}",
                f"{name} ต้องเป็นค่าใดค่าหนึ่งใน {', '.join(allowed)}",
            )
        return value

    def flag(self, name: str) -> bool:
        value = self.body.get(name, False)
        if not isinstance(value, bool):
            self.wrong(name, f"{name} must be true or false", f"{name} ต้องเป็น true หรือ false")
            return False
        return value

    def version(self) -> int:
        value = self.body.get("version")
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_INT:
            self.wrong(
                "version",
                "version is required: the letter's version you read",
                "กรุณาระบุ version ของหนังสือที่เปิดดู",
            )
            return 0
        return value

    def lines(self, name: str, *, limit: int = 60) -> tuple[str, ...]:
        value = self.body.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > limit:
            self.wrong(
                name,
                f"{name} must be a list of at most {limit} texts",
                f"{name} ต้องเป็นรายการข้อความไม่เกิน {limit} รายการ",
            )
            return ()
        return tuple(value)

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None or len(value) != 10:
            self.wrong(
                name, f"{name} must be a date YYYY-MM-DD", f"{name} ต้องเป็นวันที่ในรูปแบบ ปปปป-ดด-วว (ค.ศ.)"
            )
            return None
        if day.year > 2300:
            self.wrong(
                name,
                f"{name} is in the Christian era (e.g. 2026-12-04), not the Buddhist era",
                f"{name} ต้องเป็นปีคริสต์ศักราช (เช่น 2026-12-04) ไม่ใช่ปีพุทธศักราช",
            )
            return None
        return day

    def moment(self, name: str) -> datetime | None:
        value = self.text(name)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.wrong(
                name,
                f"{name} must be a date-time with its offset",
                f"{name} ต้องเป็นวันเวลาพร้อมเขตเวลา เช่น 2026-12-04T16:30:00+07:00",
            )
            return None
        return moment

    def done(self) -> None:
        """Raises InvalidLetter naming every wrong field, if any."""
        if self.problems:
            raise InvalidLetter.of(self.problems)


def user_id_of(tenant: Tenant, who: Any, field: str = "user") -> int:
    """An officer of ``tenant`` by id or username; raises InvalidLetter when there is none."""
    found: User | None = None
    if isinstance(who, int) and not isinstance(who, bool) and 0 < who <= MAX_INT:
        found = platform().db(User.get_or_none(tenant_id=tenant.id, id=who))
    elif isinstance(who, str) and 0 < len(who) <= 80:
        found = platform().db(User.get_or_none(tenant_id=tenant.id, username=who))
    if found is None:
        raise InvalidLetter(f"no officer {who!r} here", th="ไม่พบเจ้าหน้าที่ที่ระบุในหน่วยงานนี้", field=field)
    return found.id


def _access(tenant: Tenant, fields: Fields) -> tuple[int, ...]:
    given = fields.body.get("access", [])
    if not isinstance(given, list) or len(given) > 50:
        fields.wrong("access", "access must be a list of officers", "access ต้องเป็นรายชื่อเจ้าหน้าที่")
        return ()
    fields.done()
    return tuple(user_id_of(tenant, who, "access") for who in given)


def target_of(tenant: Tenant, target: Any) -> tuple[str, str]:
    """``{kind, value}`` as the service takes it (a user by username or id); raises InvalidLetter."""
    if target is None:
        return "", ""
    if (
        not isinstance(target, dict)
        or target.get("kind") not in TARGET_KINDS
        or not isinstance(target.get("value"), str | int)
        or isinstance(target.get("value"), bool)
    ):
        raise InvalidLetter(
            "target is {kind: unit|user|role, value}",
            th="ผู้รับต้องระบุเป็น {kind: unit, user หรือ role, value}",
            field="target",
        )
    kind, value = target["kind"], target["value"]
    if kind == "user":
        return kind, str(user_id_of(tenant, value, "target"))
    if not isinstance(value, str) or not 0 < len(value) <= 80:
        raise InvalidLetter("target.value is 1–80 characters", th="ผู้รับไม่ถูกต้อง", field="target")
    return kind, value


@contextmanager
def pdf_side() -> Iterator[None]:
    """The PDF side's refusals as API errors: a letter that cannot be laid out (422), a signing key
    or timestamp service that cannot be used (503)."""
    from renderers.saraban.errors import SarabanPdfError
    from signing.errors import SigningError

    try:
        yield
    except SarabanPdfError as error:
        raise ApiError(
            422,
            "letter_not_renderable",
            str(error),
            message_th="จัดหน้าหนังสือไม่ได้ โปรดตรวจความยาวของเนื้อความและรายการต่าง ๆ",
        ) from None
    except SigningError as error:
        raise ApiError(
            503,
            "signing_unavailable",
            f"the letter could not be signed now ({error.code})",
            message_th="ลงนามหนังสือไม่ได้ในขณะนี้ โปรดลองอีกครั้ง หรือแจ้งผู้ดูแลระบบตรวจสอบกุญแจลงนาม",
            retryable=error.retryable,
        ) from None


# --- answers ---


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def letter_json(letter: Letter) -> dict[str, Any]:
    """What a program sees of a letter (its facts and where it stands)."""
    return {
        "public_id": letter.public_id,
        "direction": letter.direction,
        "kind": letter.kind,
        "kind_th": KINDS[letter.kind].th if letter.kind in KINDS else letter.kind,
        "circular": letter.circular,
        "status": letter.status,
        "status_th": STATUSES[letter.status].th if letter.status in STATUSES else letter.status,
        "subject": letter.subject,
        "sender": letter.sender,
        "recipient": letter.recipient,
        "letter_number": letter.letter_number,
        "letter_date": _iso(letter.letter_date),
        "urgency": letter.urgency,
        "secrecy": letter.secrecy,
        "due_at": _iso(letter.due_at),
        "holder": {"kind": letter.holder_kind, "value": letter.holder} if letter.holder_kind else None,
        "signer_name": letter.signer_name,
        "signer_position": letter.signer_position,
        "signing_method": letter.signing_method or None,
        "signed_at": _iso(letter.signed_at),
        "has_file": bool(letter.blob_key),
        "size": letter.size,
        "sha256": letter.sha256,
        "original_sha256": letter.original_sha256,
        "addressees": list(letter.addressees or []),
        "retention_class": letter.retention_class,
        "retain_until": _iso(letter.retain_until),
        "version": letter.version,
        "created_at": _iso(letter.created_at),
    }


def step_json(step: RoutingStep) -> dict[str, Any]:
    return {
        "seq": step.seq,
        "action": step.action,
        "action_th": ACTIONS[step.action].th if step.action in ACTIONS else step.action,
        "text": step.text,
        "by": step.actor_name,
        "position": step.actor_position,
        "target": {"kind": step.target_kind, "value": step.target, "label": step.target_label}
        if step.target_kind
        else None,
        "due_at": _iso(step.due_at),
        "signing_method": step.signing_method,
        "sha256": step.sha256,
        "at": _iso(step.at),
    }


def entry_json(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "book": entry.book,
        "book_th": BOOKS[entry.book].th if entry.book in BOOKS else entry.book,
        "unit": entry.unit,
        "year": entry.year,
        "number": entry.number,
        "number_text": entry.number_text,
        "revision": entry.revision,
        "state": entry.state,
        "state_th": ENTRY_STATES[entry.state].th if entry.state in ENTRY_STATES else entry.state,
        "subject": entry.subject,
        "registered_at": _iso(entry.registered_at),
        "reserved_until": _iso(entry.reserved_until),
        "remark": entry.remark,
    }


def page_json(page: letters.LetterPage) -> dict[str, Any]:
    return {
        **letter_json(page.letter),
        "owner_unit": page.unit.code if page.unit else None,
        "steps": [step_json(s) for s in page.steps],
        "register_entries": [entry_json(e) for e in page.entries],
        "access": [{"id": u.id, "username": u.username, "display_name": u.display_name} for u in page.access],
        "may_route": page.may_route,
        "may_sign": page.may_sign,
        "may_close": page.may_close,
    }


def created(body: dict[str, Any], location: str = "") -> Response:
    response = jsonify(body)
    response.status_code = 201
    if location:
        response.headers["Location"] = location
    return response


# --- letters ---


@blueprint.get(f"{PREFIX}/letters")
def saraban_inbox(tenant: str) -> Any:
    """The letters in the caller's hands, the most urgent due first."""
    found, actor = office(tenant)
    items = platform().db(letters.inbox(found, actor))
    return jsonify(
        {
            "letters": [
                {**letter_json(i.letter), "step_due_at": _iso(i.due_at), "since": _iso(i.since)}
                for i in items
            ]
        }
    )


def _incoming_request(found: Tenant) -> tuple[Incoming, bytes | None]:
    """The incoming letter from multipart/form-data (``file`` and the fields) or JSON (``file`` in base64)."""
    data: bytes | None = None
    if request.mimetype == "multipart/form-data":
        if request.content_length is not None and request.content_length > MAX_LETTER_BODY:
            raise ApiError(
                413, "request_entity_too_large", f"the body is larger than {MAX_LETTER_BODY} bytes"
            )
        body: dict[str, Any] = {k: v for k, v in request.form.items() if k != "access"}
        if "access" in request.form:
            body["access"] = [
                a for part in request.form.getlist("access") for a in part.split(",") if a.strip()
            ]
        sent = request.files.get("file")
        if sent is not None:
            data = sent.stream.read(MAX_FILE_BYTES + 1)
    else:
        body = body_of(MAX_LETTER_BODY)
        encoded = body.get("file")
        if encoded is not None:
            try:
                if not isinstance(encoded, str):
                    raise ValueError
                data = base64.b64decode(encoded, validate=True)
            except (ValueError, binascii.Error):
                raise InvalidLetter(
                    "file must be the letter in base64", th="ไฟล์หนังสือต้องเข้ารหัสแบบ base64", field="file"
                ) from None
    fields = Fields(body)
    incoming = Incoming(
        letter_number=fields.text("letter_number"),
        letter_date=fields.day("letter_date"),
        sender=fields.text("sender"),
        recipient=fields.text("recipient"),
        subject=fields.text("subject"),
        urgency=fields.text("urgency", default="normal"),
        secrecy=fields.text("secrecy", default="normal"),
        due_at=fields.moment("due_at"),
        remark=fields.text("remark"),
        access=_access(found, fields),
    )
    fields.done()
    return incoming, data or None


@blueprint.post(f"{PREFIX}/letters/incoming")
def saraban_receive(tenant: str) -> Any:
    """Register a letter that arrived (ลงรับ): 201 with its receive number and the file's hashes."""
    found, actor = office(tenant)
    incoming, data = _incoming_request(found)
    with pdf_side():
        letter = platform().db(letters.receive(found, actor, incoming, data, platform().saraban_files))
    entry = platform().db(RegisterEntry.filter(letter_id=letter.id).order_by("id").first())
    return created(
        {
            **letter_json(letter),
            "receive_number": entry.number_text if entry else None,
            "register_entry": entry_json(entry) if entry else None,
        },
        f"/api/v1/tenants/{found.slug}/saraban/letters/{letter.public_id}",
    )


@blueprint.post(f"{PREFIX}/letters")
def saraban_draft(tenant: str) -> Any:
    """Draft a letter to send from the template of its kind: 201 with the letter (number and date blank)."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    unit = fields.text("unit")
    if not unit and len(actor.units) == 1:
        unit = next(iter(actor.units))
    outgoing = Outgoing(
        kind=fields.text("kind", required=True),
        subject=fields.text("subject"),
        recipient=fields.text("recipient"),
        unit=unit,
        body=fields.lines("body"),
        salutation=fields.text("salutation"),
        references=fields.lines("references", limit=20),
        enclosures=fields.lines("enclosures", limit=20),
        urgency=fields.text("urgency", default="normal"),
        due_at=fields.moment("due_at"),
        secrecy=fields.text("secrecy", default="normal"),
        circular=fields.flag("circular"),
        signer_name=fields.text("signer_name"),
        signer_position=fields.text("signer_position"),
        access=_access(found, fields),
        addressees=fields.lines("addressees", limit=20),
    )
    fields.done()
    with pdf_side():
        letter = platform().db(letters.draft(found, actor, outgoing, platform().saraban_files))
    return created(letter_json(letter), f"/api/v1/tenants/{found.slug}/saraban/letters/{letter.public_id}")


def _public_id(value: str) -> str:
    if not 0 < len(value) <= 40:
        raise LetterNotFound(value[:40])
    return value


@blueprint.get(f"{PREFIX}/letters/<letter:public_id>")
def saraban_letter(tenant: str, public_id: str) -> Any:
    """The letter: its facts, its endorsement steps and its register rows (a classified one's opening is audited)."""
    found, actor = office(tenant)
    return jsonify(page_json(platform().db(letters.page(found, actor, _public_id(public_id)))))


@blueprint.get(f"{PREFIX}/letters/<letter:public_id>/pdf")
def saraban_letter_pdf(tenant: str, public_id: str) -> Any:
    """The letter's PDF as it stands (a classified letter's copy carries the viewer's name)."""
    found, actor = office(tenant)
    with pdf_side():
        letter, data = platform().db(
            letters.pdf(found, actor, _public_id(public_id), platform().saraban_files)
        )
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{letter.public_id}.pdf"',
            "Cache-Control": "no-store",
            "X-Letter-Version": str(letter.version),
        },
    )


@blueprint.post(f"{PREFIX}/letters/<letter:public_id>/steps")
def saraban_route(tenant: str, public_id: str) -> Any:
    """One endorsement step (เกษียน / สั่งการ), stamped and signed on the letter: 201 with the step."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    version = fields.version()
    action = fields.code("action", ACTIONS)
    text = fields.text("text")
    typed = fields.flag("typed_name")
    fields.done()
    kind, value = target_of(found, fields.body.get("target"))
    with pdf_side():
        step = platform().db(
            letters.route(
                found, actor, _public_id(public_id), platform().saraban_files,
                version=version, action=action, text=text, target_kind=kind, target=value, typed_name=typed,
            )
        )  # fmt: skip
    return created(
        {**step_json(step), "version": version + 1},
        f"/api/v1/tenants/{found.slug}/saraban/letters/{public_id}",
    )


@blueprint.route(f"{PREFIX}/letters/<letter:public_id>/steps/<seq>", methods=["PUT", "DELETE"])
def saraban_step_immutable(tenant: str, public_id: str, seq: str) -> Any:
    """Earlier steps never change: always 409 ``step_immutable`` (add a new step instead)."""
    office(tenant)
    raise ApiError(
        409,
        "step_immutable",
        "an endorsement step, once made, is never changed nor removed; add a new step instead",
        message_th=STEP_IMMUTABLE_TH,
    )


@blueprint.post(f"{PREFIX}/letters/<letter:public_id>/sign")
def saraban_sign(tenant: str, public_id: str) -> Any:
    """Sign a drafted letter: its send number and date are printed, then the signature covers them."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    version = fields.version()
    typed = fields.flag("typed_name")
    fields.done()
    with pdf_side():
        letter = platform().db(
            letters.sign(
                found,
                actor,
                _public_id(public_id),
                platform().saraban_files,
                version=version,
                typed_name=typed,
            )
        )
    return jsonify(letter_json(letter))


@blueprint.post(f"{PREFIX}/letters/<letter:public_id>/close")
def saraban_close(tenant: str, public_id: str) -> Any:
    """The work on the letter is done (ปฏิบัติเสร็จแล้ว); it is kept for its retention class's term."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    version = fields.version()
    retention = fields.code("retention_class", RETENTION_CLASSES, default="standard")
    fields.done()
    letter = platform().db(
        letters.close(
            found,
            actor,
            _public_id(public_id),
            version=version,
            retention_class=retention,
            files=platform().saraban_files,
        )
    )
    return jsonify(letter_json(letter))


@blueprint.post(f"{PREFIX}/letters/<letter:public_id>/access")
def saraban_grant(tenant: str, public_id: str) -> Any:
    """Name one more officer who may open a classified letter (the registry only)."""
    found, actor = office(tenant)
    body = body_of()
    if "user" not in body:
        raise InvalidLetter("user is required", th="กรุณาระบุเจ้าหน้าที่", field="user")
    user_id = user_id_of(found, body["user"])
    platform().db(letters.grant_access(found, actor, _public_id(public_id), user_id))
    return jsonify({"public_id": public_id, "user": user_id, "granted": True})


# --- books, numbers, units, audit ---


def _year(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not YEARS[0] <= int(value[:5]) <= YEARS[1]:
        raise InvalidLetter(
            f"year is a Buddhist-Era year {YEARS[0]}–{YEARS[1]}",
            th=f"ปีต้องเป็นปีพุทธศักราช {YEARS[0]}–{YEARS[1]}",
            field="year",
        )
    return int(value)


@blueprint.get(f"{PREFIX}/registers/<book>/<year>")
def saraban_register(tenant: str, book: str, year: str) -> Any:
    """A book's rows for a Buddhist-Era year in the official columns (JSON, or ``?format=csv|xlsx|pdf``)."""
    found, actor = office(tenant)
    wanted = request.args.get("format", "json")
    if wanted not in ("json", "csv", "xlsx", "pdf"):
        raise ApiError(
            400,
            "invalid_request",
            "format is json, csv, xlsx or pdf",
            message_th="format ต้องเป็น json, csv, xlsx หรือ pdf",
        )
    if book not in BOOKS:
        raise InvalidLetter(f"no book {book[:40]!r}", th="ไม่มีทะเบียนนี้", field="book")
    book_of_year = platform().db(registers.register(found, actor, book, _year(year)))
    if wanted == "csv":
        from renderers.saraban import register_csv

        return Response(
            register_csv(book, book_of_year.rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{book}-{book_of_year.year}.csv"'},
        )
    if wanted in ("xlsx", "pdf"):
        return _register_file(found, book, book_of_year, wanted)
    return jsonify(
        {
            "book": book,
            "year": book_of_year.year,
            "title": book_of_year.title,
            "columns": list(book_of_year.columns),
            "rows": [list(r) for r in book_of_year.rows],
            "entries": [entry_json(e) for e in book_of_year.entries],
        }
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _register_file(found: Any, book: str, book_of_year: Any, kind: str) -> Response:
    """The register as a spreadsheet or as PDF in the official layout."""
    from engine.saraban.settings import settings_of
    from renderers.saraban import register_xlsx

    if kind == "xlsx":
        content, mimetype = register_xlsx(book, book_of_year.year, found.name_th, book_of_year.rows), XLSX
    else:
        thai = settings_of(found.settings).thai_numerals
        tools = platform().saraban_files.tools
        content = tools.render_register(
            book, book_of_year.year, found.name_th, book_of_year.rows, thai_numerals=thai
        )
        mimetype = "application/pdf"
    name = f"{book}-{book_of_year.year}.{kind}"
    return Response(
        content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@blueprint.post(f"{PREFIX}/numbers")
def saraban_reserve(tenant: str) -> Any:
    """Reserve (จองเลข) the next number of a book until the municipality's reservation time lapses."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    book = fields.code("book", BOOKS)
    subject = fields.text("subject", required=True)
    unit = fields.text("unit")
    fields.done()
    if len(unit) > 40:
        raise InvalidLetter("unit is at most 40 characters", th="รหัสหน่วยงานยาวเกินไป", field="unit")
    if unit:
        platform().db(organisation.unit(found, unit))
    entry = platform().db(numbers.reserve(found, actor, book, subject=subject, unit=unit))
    return created(entry_json(entry))


@blueprint.post(f"{PREFIX}/numbers/<entry_id>/cancel")
def saraban_cancel(tenant: str, entry_id: str) -> Any:
    """Cancel a reserved number: it stays in the book marked ยกเลิก."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    reason = fields.text("reason", required=True)
    fields.done()
    if len(reason) > 400:
        raise InvalidLetter(
            "reason is at most 400 characters", th="เหตุที่ยกเลิกยาวเกิน 400 ตัวอักษร", field="reason"
        )
    if not entry_id.isascii() or not entry_id.isdigit() or not 0 < int(entry_id[:11]) <= MAX_INT:
        raise InvalidLetter("no such register entry", th="ไม่พบเลขนี้ในทะเบียน", field="entry")
    entry = platform().db(numbers.cancel(found, actor, int(entry_id), reason=reason))
    return jsonify(entry_json(entry))


@blueprint.get(f"{PREFIX}/units")
def saraban_units(tenant: str) -> Any:
    """The municipality's units (ส่วนราชการ) with their letter-code suffix."""
    found, _ = office(tenant)
    units: list[OrgUnit] = platform().db(organisation.units(found))
    codes = {u.id: u.code for u in units}
    return jsonify(
        {
            "units": [
                {
                    "code": u.code,
                    "name_th": u.name_th,
                    "name_en": u.name_en,
                    "letter_suffix": u.letter_suffix,
                    "parent": codes.get(u.parent_id) if u.parent_id else None,
                    "phone": u.phone,
                    "active": u.active,
                }
                for u in units
            ]
        }
    )


def settings_json(tenant: Any) -> dict[str, Any]:
    from engine.saraban.settings import settings_of

    current = settings_of(tenant.settings)
    return {name: getattr(current, name) for name in organisation.EDITABLE_SETTINGS}


@blueprint.get(f"{PREFIX}/settings")
def saraban_settings(tenant: str) -> Any:
    """The municipality's letter code and how its books and signatures work."""
    found, _ = office(tenant)
    return jsonify(settings_json(found))


@blueprint.put(f"{PREFIX}/settings")
def saraban_put_settings(tenant: str) -> Any:
    """Change the settings (the municipality's administrator only); the agency directory follows the
    letter code. Raises NotAllowed (403) and InvalidLetter (422, naming each field)."""
    found, actor = office(tenant)
    platform().db(organisation.put_settings(found, actor, body_of()))
    return jsonify(settings_json(found))


@blueprint.get(f"{PREFIX}/audit/verify")
def saraban_audit_verify(tenant: str) -> Any:
    """Recompute the correspondence audit chain (the registry only): where it first breaks, if it does."""
    found, actor = office(tenant)
    if not actor.is_clerk:
        raise NotAllowed(
            "only the registry checks the audit trail",
            th="การตรวจสอบบันทึกการดำเนินการทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง",
        )
    report = platform().db(audit.verify(found.id))
    return jsonify(
        {
            "entries": report.entries,
            "intact": report.intact,
            "broken_at": report.broken_at,
            "reason": report.reason or None,
        }
    )


# --- search and workload ---

MAX_QUERY = 200
LIST_STATUSES = {
    "draft": "รอคณะกรรมการทำลายหนังสือลงนาม",
    "approved": "คณะกรรมการลงนามครบแล้ว",
    "archives": "ส่งกองจดหมายเหตุแห่งชาติแล้ว",
    "destroyed": "ทำลายแล้ว",
}


def _bounded_int(value: str | None, name: str, low: int, high: int, default: int) -> int:
    """A query parameter as an integer in ``low``–``high``; raises InvalidLetter otherwise."""
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not low <= int(value[:12]) <= high:
        raise InvalidLetter(
            f"{name} is a whole number {low}–{high}", th=f"{name} ต้องเป็นจำนวนเต็ม {low}–{high}", field=name
        )
    return int(value)


@blueprint.get(f"{PREFIX}/search")
def saraban_search(tenant: str) -> Any:
    """The letters the caller may open whose words hold every word of ``q``, best match first.

    Raises InvalidLetter (422) without ``q``, with a longer one, or with a wrong ``limit``."""
    found, actor = office(tenant)
    text = request.args.get("q")
    if text is None or not text.strip() or len(text) > MAX_QUERY or "\x00" in text:
        raise InvalidLetter(
            f"q is the text to find, 1–{MAX_QUERY} characters",
            th=f"กรุณาระบุคำค้น (ไม่เกิน {MAX_QUERY} ตัวอักษร)",
            field="q",
        )
    limit = _bounded_int(request.args.get("limit"), "limit", 1, search.MAX_LIMIT, 50)
    found_letters = platform().db(search.search(found, actor, text, limit=limit))
    return jsonify({"query": text, "letters": [letter_json(x) for x in found_letters]})


@blueprint.get(f"{PREFIX}/workload")
def saraban_workload(tenant: str) -> Any:
    """Per unit: the open letters it holds, how many are overdue and how many are due soon.

    The registry and administrators only (NotAllowed, 403, otherwise)."""
    found, actor = office(tenant)
    moment = datetime.now(UTC)
    loads = platform().db(reports.workload_for(found, actor, now=moment))
    return jsonify(
        {
            "at": moment.isoformat(),
            "units": [
                {
                    "code": x.unit.code,
                    "name_th": x.unit.name_th,
                    "held": x.held,
                    "overdue": x.overdue,
                    "due_soon": x.due_soon,
                }
                for x in loads
            ],
        }
    )


# --- keeping and destroying letters ---


@blueprint.post(f"{PREFIX}/letters/<letter:public_id>/hold")
def saraban_hold(tenant: str, public_id: str) -> Any:
    """Put a letter on legal hold (``hold`` true) or release it: a held letter is never destroyed.

    The registry only; the answer names the letter and its hold, not its content (a classified
    letter is held without being opened)."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    if "hold" not in fields.body:
        fields.wrong("hold", "hold is required: true or false", "กรุณาระบุ hold เป็น true หรือ false")
    hold = fields.flag("hold")
    reason = fields.text("reason", required=True)
    fields.done()
    letter = platform().db(retention.set_hold(found, actor, _public_id(public_id), hold, reason))
    return jsonify({"public_id": letter.public_id, "legal_hold": letter.legal_hold, "reason": reason.strip()})


def list_json(found: DestructionList, *, brief: bool = False) -> dict[str, Any]:
    """What a program sees of a บัญชีหนังสือขอทำลาย: its status, its letters and its committee."""
    items = found.items or []
    committee = found.committee or []
    answer: dict[str, Any] = {
        "id": found.id,
        "year": found.year,
        "reference": found.reference,
        "status": found.status,
        "status_th": LIST_STATUSES.get(found.status, found.status),
        "letters": len(items),
        "committee_size": len(committee),
        "approvals": sum(1 for m in committee if m.get("approved_at")),
        "sha256": found.sha256,
        "archives_sent_at": _iso(found.archives_sent_at),
        "archives_reply": found.archives_reply or None,
        "destroyed_at": _iso(found.destroyed_at),
        "created_at": _iso(found.created_at),
    }
    if brief:
        return answer
    answer["items"] = [
        {
            "seq": seq,
            "public_id": str(item.get("letter", "")),
            "number": item.get("number") or "",
            "date": item.get("date"),
            "subject": item.get("subject", ""),
            "retention_class": item.get("retention_class", ""),
            "retain_until": item.get("retain_until"),
            "register": item.get("register", ""),
            "keep": bool(item.get("keep")),
            "kept_by": list(item.get("kept_by") or []),
            "objected": bool(item.get("objected")),
            "outcome": item.get("outcome") or None,
        }
        for seq, item in enumerate(items, start=1)
    ]
    answer["committee"] = [
        {
            "user": int(m["user"]),
            "name": m.get("name", ""),
            "position": m.get("position", ""),
            "chair": bool(m.get("chair")),
            "approved_at": m.get("approved_at"),
            "decisions": dict(m.get("decisions") or {}),
        }
        for m in committee
    ]
    return answer


def _list_id(value: str) -> int:
    """A list's id from the path; an id that cannot be one is 404, like a missing list."""
    if not value.isascii() or not value.isdigit() or not 0 < int(value[:12]) <= MAX_INT:
        raise ApiError(
            404,
            "destruction_list_not_found",
            f"no destruction list {value[:20]!r}",
            message_th="ไม่พบบัญชีหนังสือขอทำลายนี้",
        )
    return int(value)


def _visible_list(tenant: Tenant, actor: Actor, value: str) -> DestructionList:
    """The list, when the caller is the registry, an administrator or on its committee; raises
    ApiError or DestructionListNotFound (404) otherwise."""
    list_id = _list_id(value)
    found: DestructionList = platform().db(retention.readable_list(tenant, actor, list_id))
    return found


@blueprint.get(f"{PREFIX}/retention/lists")
def saraban_retention_lists(tenant: str) -> Any:
    """The destruction lists, newest year first: all of them for the registry and administrators,
    those whose committee the caller sits on for anyone else."""
    found, actor = office(tenant)
    every = platform().db(retention.readable_lists(found, actor))
    return jsonify({"lists": [list_json(x, brief=True) for x in every]})


@blueprint.post(f"{PREFIX}/retention/lists")
def saraban_retention_survey(tenant: str) -> Any:
    """Survey a Buddhist-Era year that is over: 201 with its บัญชีหนังสือขอทำลาย (the one made before
    when there is one), or 200 ``{year, expired: 0, message, message_th}`` when no letter expired.

    Raises InvalidLetter (422: no year), NotAllowed (403: not the registry), RetentionRefused (409:
    the year is not over)."""
    found, actor = office(tenant)
    body = body_of()
    year = body.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not YEARS[0] <= year <= YEARS[1]:
        raise InvalidLetter(
            f"year is a Buddhist-Era year {YEARS[0]}–{YEARS[1]}",
            th=f"ปีต้องเป็นปีพุทธศักราช {YEARS[0]}–{YEARS[1]}",
            field="year",
        )
    with pdf_side():
        made = platform().db(retention.survey(found, actor, year, platform().saraban_files))
    if made is None:
        return jsonify(
            {
                "year": year,
                "expired": 0,
                "message": f"no letter's retention ended in {year}",
                "message_th": f"ไม่มีหนังสือที่ครบกำหนดเก็บในปี พ.ศ. {year}",
            }
        )
    return created(list_json(made), f"/api/v1/tenants/{found.slug}/saraban/retention/lists/{made.id}")


@blueprint.get(f"{PREFIX}/retention/lists/<list_id>")
def saraban_retention_list(tenant: str, list_id: str) -> Any:
    """A destruction list: its letters, its committee and where it stands."""
    found, actor = office(tenant)
    return jsonify(list_json(_visible_list(found, actor, list_id)))


@blueprint.get(f"{PREFIX}/retention/lists/<list_id>/pdf")
def saraban_retention_list_pdf(tenant: str, list_id: str) -> Any:
    """The list's PDF (แบบที่ 25) as it stands, with the committee's signatures so far."""
    found, actor = office(tenant)
    chosen = _visible_list(found, actor, list_id)
    data = platform().blobs.get(chosen.blob_key)
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="destruction-{chosen.year}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@blueprint.post(f"{PREFIX}/retention/lists/<list_id>/committee")
def saraban_retention_committee(tenant: str, list_id: str) -> Any:
    """Appoint the committee (a chair and members, by username or id) and print their names.

    Raises InvalidLetter (422), NotAllowed (403), RetentionRefused (409: too few members, or the
    committee has begun signing)."""
    found, actor = office(tenant)
    wanted = _list_id(list_id)
    body = body_of()
    given = body.get("members")
    if not isinstance(given, list) or len(given) > retention.MAX_COMMITTEE:
        raise InvalidLetter(
            f"members is a list of at most {retention.MAX_COMMITTEE} officers",
            th=f"กรุณาระบุกรรมการเป็นรายชื่อเจ้าหน้าที่ ไม่เกิน {retention.MAX_COMMITTEE} คน",
            field="members",
        )
    if "chair" not in body:
        raise InvalidLetter("chair is required", th="กรุณาระบุประธานกรรมการ", field="chair")
    chair = user_id_of(found, body["chair"], "chair")
    members = [user_id_of(found, who, "members") for who in given]
    with pdf_side():
        done = platform().db(
            retention.appoint(found, actor, wanted, platform().saraban_files, chair=chair, members=members)
        )
    return jsonify(list_json(done))


@blueprint.post(f"{PREFIX}/retention/lists/<list_id>/approve")
def saraban_retention_approve(tenant: str, list_id: str) -> Any:
    """A committee member signs the list (PAdES, in their box); ``decisions`` keeps letters.

    Raises InvalidLetter (422), NotAllowed (403: not on the committee), RetentionRefused (409),
    and answers 503 ``signing_unavailable`` when the signing key or timestamp service fails."""
    found, actor = office(tenant)
    wanted = _list_id(list_id)
    decisions = optional_body().get("decisions")
    if decisions is not None and (
        not isinstance(decisions, dict)
        or len(decisions) > 10_000
        or not all(isinstance(v, str) for v in decisions.values())
    ):
        raise InvalidLetter(
            "decisions maps a letter's public ID to keep or destroy",
            th="การพิจารณาต้องระบุเป็น {public_id: keep หรือ destroy}",
            field="decisions",
        )
    with pdf_side():
        done = platform().db(
            retention.approve(found, actor, wanted, platform().saraban_files, decisions=decisions)
        )
    return jsonify(list_json(done))


@blueprint.post(f"{PREFIX}/retention/lists/<list_id>/archives")
def saraban_retention_archives(tenant: str, list_id: str) -> Any:
    """Record that the approved list went to the National Archives; raises RetentionRefused (409)."""
    found, actor = office(tenant)
    return jsonify(list_json(platform().db(retention.send_to_archives(found, actor, _list_id(list_id)))))


@blueprint.post(f"{PREFIX}/retention/lists/<list_id>/archives-reply")
def saraban_retention_archives_reply(tenant: str, list_id: str) -> Any:
    """Record the National Archives' reply; the letters it objects to are kept permanently.

    Raises InvalidLetter (422), RetentionRefused (409: the list is not with the Archives)."""
    found, actor = office(tenant)
    wanted = _list_id(list_id)
    fields = Fields(body_of())
    text = fields.text("text", required=True)
    objected = fields.lines("objected", limit=10_000)
    fields.done()
    done = platform().db(retention.archives_reply(found, actor, wanted, text, objected=objected))
    return jsonify(list_json(done))


@blueprint.post(f"{PREFIX}/retention/lists/<list_id>/destroy")
def saraban_retention_destroy(tenant: str, list_id: str) -> Any:
    """Destroy the listed letters' files; their rows stay, marked ทำลายแล้ว.

    Raises RetentionRefused (409: not approved, not sent, or the Archives' time still runs)."""
    found, actor = office(tenant)
    wanted = _list_id(list_id)
    done = platform().db(retention.destroy(found, actor, wanted, platform().saraban_files))
    return jsonify(list_json(done))


@blueprint.get(f"{PREFIX}/retention/handover/<year>")
def saraban_retention_handover(tenant: str, year: str) -> Any:
    """บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21) of a Buddhist-Era year, as a PDF (the registry only)."""
    found, actor = office(tenant)
    wanted = _year(year)
    with pdf_side():
        made = platform().db(retention.handover_list(found, actor, wanted, platform().saraban_files))
    return Response(
        made.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="handover-{made.year}.pdf"',
            "Cache-Control": "no-store",
            "X-Letters": str(len(made.letters)),
        },
    )


__all__ = ["entry_json", "letter_json", "list_json", "office", "page_json", "step_json"]
