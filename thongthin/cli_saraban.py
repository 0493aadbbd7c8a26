"""``thongthin saraban``: official correspondence (งานสารบรรณ) from the command line.

Every command acts as one officer (``--as USERNAME``; the registry's commands default to the
municipality's first สารบรรณกลาง), through the same service calls as the officers' pages and the
API, on the platform that ``--data DIR`` or ``DATABASE_URL``/``THONGTHIN_DATA`` names. ``--json``
prints one JSON document; bad input ends with one line on standard error and a non-zero exit.
Commands that act on a letter read its current version first, so scripts need not track it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

URGENCY = click.Choice(["normal", "urgent", "very_urgent", "most_urgent"])
SECRECY = click.Choice(["normal", "secret", "confidential", "top_secret"])
BOOK = click.Choice(["receive", "send", "order", "announcement", "circular", "secret_receive", "secret_send"])
ACTION = click.Choice(
    ["present", "for_information", "for_consideration", "acknowledge", "assign", "approve", "sign", "return"]
)
BE_OFFSET = 543


def _options(func: F) -> F:
    """``--data`` and ``--json``, which every command takes."""
    func = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(func)
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Data folder (default: $THONGTHIN_DATA or ./var); DATABASE_URL names another database.",
    )(func)


def _as(func: F) -> F:
    return click.option(
        "--as", "username", help="Act as this officer (default: the registry's first clerk)."
    )(func)


def refusal(error: Exception) -> click.ClickException:
    """One line for a refusal of the service layer or the PDF side: Thai first, then the English and its code."""
    from engine.saraban.errors import SarabanError

    if isinstance(error, SarabanError):
        text = (
            error.message_th if error.message_th == error.message else f"{error.message_th} ({error.message})"
        )
        return click.ClickException(f"{text} [{error.code}]")
    code = getattr(error, "code", "")
    return click.ClickException(f"{error} [{code}]" if code else str(error))


@contextmanager
def platform_of(data_dir: Path | None) -> Iterator[Any]:
    """The platform the options name; every refusal ends the command with one line (exit 1)."""
    from tortoise.exceptions import OperationalError

    from engine.errors import ThongthinError
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env(data_dir=data_dir))
    try:
        yield platform
    except OperationalError as error:
        raise click.ClickException(
            f"the database is not set up ({error}); run `thongthin db upgrade`"
        ) from None
    except ThongthinError as error:
        raise refusal(error) from None
    finally:
        platform.runtime.close()


async def _office(slug: str, username: str | None, role: str = "saraban_clerk") -> tuple[Any, Any]:
    """The municipality and the acting officer (by username, else the first holder of ``role``)."""
    from engine.services import tenants
    from engine.services.saraban import organisation
    from engine.store.models import User

    tenant = await tenants.get_tenant(slug)
    if username:
        user = await User.get_or_none(tenant_id=tenant.id, username=username, active=True)
        if user is None:
            raise click.ClickException(f"{slug}: no active officer {username!r}")
    else:
        clerks = sorted(await organisation.users_with_role(tenant, role))
        if not clerks:
            raise click.ClickException(f"{slug}: no officer holds the role {role}; give --as USERNAME")
        user = await User.get(id=clerks[0])
    return tenant, await organisation.actor(tenant, user)


def _be_date(text: str) -> date:
    """``2569-12-04`` (Buddhist era) as a date; raises ClickException with one line otherwise."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise click.ClickException(
            f"--date {text!r}: give YYYY-MM-DD in the Buddhist era, e.g. 2569-12-04"
        ) from None
    if day.year < 2400:
        raise click.ClickException(
            f"--date {text!r}: the year is in the Buddhist era (พ.ศ.), e.g. 2569-12-04"
        )
    try:
        return day.replace(year=day.year - BE_OFFSET)
    except ValueError:  # 29 February of a year that is not a leap year once converted
        raise click.ClickException(f"--date {text!r}: no such day") from None


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"{what} {path}: {error.strerror or error}") from None


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror or error}") from None


def _emit(as_json: bool, document: dict[str, Any], line: str) -> None:
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(line)


def _letter_json(letter: Any) -> dict[str, Any]:
    from api.saraban_views import letter_json

    return letter_json(letter)


@click.group("saraban")
def saraban_group() -> None:
    """Official correspondence: receive, draft, route, sign, the registers and numbers, units."""


@saraban_group.command("receive")
@click.argument("slug", metavar="TENANT")
@click.option(
    "--pdf",
    "pdf_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The letter (PDF, JPEG or PNG).",
)
@click.option("--number", default="", help="ที่: the letter's own number as printed.")
@click.option("--date", "letter_date", help="ลงวันที่ in the Buddhist era, e.g. 2569-12-04.")
@click.option("--from", "sender", required=True, help="จาก: the sender.")
@click.option("--to", "recipient", required=True, help="ถึง: the addressee.")
@click.option("--subject", required=True, help="เรื่อง.")
@click.option("--urgency", type=URGENCY, default="normal", show_default=True)
@click.option("--secrecy", type=SECRECY, default="normal", show_default=True)
@_as
@_options
def receive(
    slug: str,
    pdf_path: Path | None,
    number: str,
    letter_date: str | None,
    sender: str,
    recipient: str,
    subject: str,
    urgency: str,
    secrecy: str,
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Register a letter that arrived (ลงรับ); prints its id and receive number."""
    from engine.services.saraban import letters
    from engine.store.models import RegisterEntry

    day = _be_date(letter_date) if letter_date else None
    data = _read(pdf_path, "--pdf") if pdf_path else None
    incoming = letters.Incoming(number, day, sender, recipient, subject, urgency, secrecy)
    with platform_of(data_dir) as platform:

        async def run() -> tuple[Any, Any]:
            tenant, actor = await _office(slug, username)
            letter = await letters.receive(tenant, actor, incoming, data, platform.saraban_files)
            return letter, await RegisterEntry.filter(letter_id=letter.id).order_by("id").first()

        letter, entry = platform.db(run())
    number_text = entry.number_text if entry else ""
    _emit(
        as_json,
        {**_letter_json(letter), "receive_number": number_text},
        f"{letter.public_id}\treceived as number {number_text}\tsha256 {letter.sha256 or '-'}",
    )


@saraban_group.command("draft")
@click.argument("slug", metavar="TENANT")
@click.option(
    "--kind",
    required=True,
    help="external, internal, stamped, order, announcement, … (the regulation's kinds).",
)
@click.option("--subject", required=True)
@click.option("--to", "recipients", multiple=True, help="เรียน: a recipient (repeat for more).")
@click.option(
    "--body-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The body: paragraphs separated by blank lines.",
)
@click.option("--body", "paragraphs", multiple=True, help="A paragraph of the body (repeat for more).")
@click.option("--circular", is_flag=True, help="A circular (ว).")
@click.option("--urgency", type=URGENCY, default="normal", show_default=True)
@click.option("--secrecy", type=SECRECY, default="normal", show_default=True)
@click.option("--unit", default="", help="The owner unit's code (default: the officer's only unit).")
@click.option(
    "--addressee",
    "addressees",
    multiple=True,
    help="Letter code of an agency to send it to (repeat for more).",
)
@_as
@_options
def draft(
    slug: str,
    kind: str,
    subject: str,
    recipients: tuple[str, ...],
    body_file: Path | None,
    paragraphs: tuple[str, ...],
    circular: bool,
    urgency: str,
    secrecy: str,
    unit: str,
    addressees: tuple[str, ...],
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Draft a letter to send; its number and date stay blank until it is signed."""
    from engine.services.saraban import letters

    body = list(paragraphs)
    if body_file is not None:
        try:
            text = _read(body_file, "--body-file").decode("utf-8")
        except UnicodeDecodeError:
            raise click.ClickException(f"--body-file {body_file}: not UTF-8 text") from None
        body += [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            owner = unit or (next(iter(actor.units)) if len(actor.units) == 1 else "")
            outgoing = letters.Outgoing(
                kind, subject, ", ".join(r.strip() for r in recipients if r.strip()), owner,
                body=tuple(body), urgency=urgency, secrecy=secrecy, circular=circular, addressees=addressees,
            )  # fmt: skip
            return await letters.draft(tenant, actor, outgoing, platform.saraban_files)

        letter = platform.db(run())
    _emit(as_json, _letter_json(letter), f"{letter.public_id}\tdrafted\tversion {letter.version}")


def _target(text: str) -> tuple[str, str]:
    kind, _, value = text.partition(":")
    if kind not in ("unit", "user", "role") or not value:
        raise click.ClickException(f"--to {text!r}: give unit:CODE, user:USERNAME or role:ROLE")
    return kind, value


@saraban_group.command("route")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@click.option("--as", "username", required=True, help="The officer who writes the step.")
@click.option("--to", "target", help="Where the letter goes: unit:CODE, user:USERNAME or role:ROLE.")
@click.option("--action", type=ACTION, required=True)
@click.option("--text", default="", help="What the officer writes (เกษียน).")
@click.option(
    "--typed-name", is_flag=True, help="The typed name instead of a digital signature (when allowed)."
)
@_options
def route(
    slug: str,
    public_id: str,
    username: str,
    target: str | None,
    action: str,
    text: str,
    typed_name: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """One endorsement step on LETTER (เกษียน / สั่งการ), stamped and signed; the letter goes to --to."""
    from api.saraban_views import step_json
    from engine.services.saraban import letters
    from engine.store.models import User

    kind, value = _target(target) if target else ("", "")
    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            goes_to = value
            if kind == "user":
                user = await User.get_or_none(tenant_id=tenant.id, username=value)
                if user is None:
                    raise click.ClickException(f"--to {target}: no officer {value!r} in {slug}")
                goes_to = str(user.id)
            letter = await letters.visible(tenant, actor, public_id)
            return await letters.route(
                tenant, actor, public_id, platform.saraban_files, version=letter.version, action=action,
                text=text, target_kind=kind, target=goes_to, typed_name=typed_name,
            )  # fmt: skip

        step = platform.db(run())
    where = f" to {step.target_label}" if step.target_label else ""
    _emit(as_json, step_json(step), f"{public_id}\tstep {step.seq}: {step.action}{where}")


@saraban_group.command("sign")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@click.option("--as", "username", required=True, help="The officer who signs.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the signed PDF here.")
@click.option(
    "--typed-name", is_flag=True, help="The typed name instead of a digital signature (when allowed)."
)
@_options
def sign(
    slug: str,
    public_id: str,
    username: str,
    out: Path | None,
    typed_name: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Sign a drafted LETTER: its send number and date are printed, then the signature covers them."""
    from engine.services.saraban import letters

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            letter = await letters.visible(tenant, actor, public_id)
            return await letters.sign(
                tenant,
                actor,
                public_id,
                platform.saraban_files,
                version=letter.version,
                typed_name=typed_name,
            )

        letter = platform.db(run())
        if out is not None:
            _write(out, platform.blobs.get(letter.blob_key))
    _emit(as_json, _letter_json(letter), f"{public_id}\tsigned as {letter.letter_number}")


@saraban_group.command("pdf")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Write the PDF here."
)
@_as
@_options
def pdf(
    slug: str, public_id: str, out: Path, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Write LETTER's PDF as it stands (a classified letter's copy carries the officer's name)."""
    from engine.services.saraban import letters

    with platform_of(data_dir) as platform:

        async def run() -> tuple[Any, bytes]:
            tenant, actor = await _office(slug, username)
            return await letters.pdf(tenant, actor, public_id, platform.saraban_files)

        letter, data = platform.db(run())
    _write(out, data)
    _emit(
        as_json,
        {**_letter_json(letter), "out": str(out), "bytes": len(data)},
        f"{public_id}\t{len(data)} bytes\t{out}",
    )


@saraban_group.command("register")
@click.argument("slug", metavar="TENANT")
@click.option("--book", type=BOOK, required=True)
@click.option(
    "--year", type=click.IntRange(2400, 2800), help="Buddhist-Era calendar year (default: this year)."
)
@click.option("--csv", "as_csv", is_flag=True, help="CSV with the official columns (UTF-8 with a BOM).")
@_as
@_options
def register(
    slug: str,
    book: str,
    year: int | None,
    as_csv: bool,
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """A book's rows for the year in the regulation's columns (tab-separated, CSV or JSON)."""
    from engine.saraban.numbering import calendar_year
    from engine.services.saraban import registers

    wanted = year or calendar_year(datetime.now(UTC))
    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await registers.register(tenant, actor, book, wanted)

        found = platform.db(run())
    if as_csv:
        from renderers.saraban import register_csv

        sys.stdout.write(register_csv(book, found.rows).removeprefix("\ufeff"))
        return
    if as_json:
        document = {"book": book, "year": found.year, "title": found.title, "columns": list(found.columns)}
        click.echo(
            json.dumps({**document, "rows": [list(r) for r in found.rows]}, ensure_ascii=False, indent=2)
        )
        return
    click.echo(found.title)
    click.echo("\t".join(found.columns))
    for row in found.rows:
        click.echo("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))


@saraban_group.command("reserve")
@click.argument("slug", metavar="TENANT")
@click.option("--book", type=BOOK, required=True)
@click.option("--subject", required=True, help="What the number is for.")
@click.option("--unit", default="", help="The unit whose book it is, when numbers run per unit.")
@_as
@_options
def reserve(
    slug: str, book: str, subject: str, unit: str, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Reserve (จองเลข) the next number of a book; prints the entry's id and the number."""
    from api.saraban_views import entry_json
    from engine.services.saraban import numbers

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await numbers.reserve(tenant, actor, book, subject=subject, unit=unit)

        entry = platform.db(run())
    _emit(
        as_json,
        entry_json(entry),
        f"{entry.id}\t{entry.number_text}\treserved until {entry.reserved_until:%Y-%m-%d %H:%M} UTC",
    )


@saraban_group.command("cancel")
@click.argument("slug", metavar="TENANT")
@click.argument("entry_id", metavar="ENTRY_ID", type=click.IntRange(1, 2_147_483_647))
@click.option("--reason", required=True)
@_as
@_options
def cancel(
    slug: str, entry_id: int, reason: str, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Cancel a reserved number: it stays in the book marked ยกเลิก."""
    from api.saraban_views import entry_json
    from engine.services.saraban import numbers

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await numbers.cancel(tenant, actor, entry_id, reason=reason)

        entry = platform.db(run())
    _emit(as_json, entry_json(entry), f"{entry.id}\t{entry.number_text}\tcancelled")


@saraban_group.command("unit")
@click.argument("slug", metavar="TENANT")
@click.argument("code")
@click.option("--name", "name_th", required=True, help="Thai name, e.g. กองช่าง.")
@click.option("--name-en", default="")
@click.option("--suffix", default="", help="Added to the letter code, e.g. .3.")
@click.option("--parent", default=None, help="The parent unit's code.")
@click.option("--phone", default="")
@_options
def unit(
    slug: str,
    code: str,
    name_th: str,
    name_en: str,
    suffix: str,
    parent: str | None,
    phone: str,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Create or change a unit (ส่วนราชการ) of TENANT."""
    from engine.services import tenants
    from engine.services.saraban import organisation

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant = await tenants.get_tenant(slug)
            return await organisation.put_unit(
                tenant, code, name_th, name_en=name_en, letter_suffix=suffix, parent=parent, phone=phone
            )

        found = platform.db(run())
    _emit(
        as_json,
        {"code": found.code, "name_th": found.name_th, "name_en": found.name_en, "letter_suffix": found.letter_suffix, "parent": parent},
        f"{found.code}\t{found.name_th}\t{found.letter_suffix}",
    )  # fmt: skip


@saraban_group.command("settings")
@click.argument("slug", metavar="TENANT")
@click.option("--letter-code", default=None, help="รหัสหนังสือ, e.g. 'ชม 52101'.")
@click.option(
    "--numbers-per-unit/--one-send-book", default=None, help="A send book per unit, or one for the agency."
)
@click.option("--typed-name/--no-typed-name", "typed_name", default=None, help="Allow typed-name signing.")
@click.option("--reservation-hours", type=float, default=None, help="How long a reserved number holds.")
@click.option("--as", "username", default=None, help="The administrator acting (default: the first one).")
@_options
def settings(
    slug: str,
    letter_code: str | None,
    numbers_per_unit: bool | None,
    typed_name: bool | None,
    reservation_hours: float | None,
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Show TENANT's correspondence settings, or change those given (the agency directory follows)."""
    from engine.saraban.settings import settings_of
    from engine.services.saraban import organisation

    changes = {
        name: value
        for name, value in (
            ("letter_code", letter_code),
            ("numbers_per_unit", numbers_per_unit),
            ("typed_name_signing", typed_name),
            ("reservation_hours", reservation_hours),
        )
        if value is not None
    }
    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username, role="admin")
            if changes:
                return await organisation.put_settings(tenant, actor, changes)
            return settings_of(tenant.settings)

        current = platform.db(run())
    shown = {name: getattr(current, name) for name in organisation.EDITABLE_SETTINGS}
    _emit(as_json, shown, "\n".join(f"{name}\t{value}" for name, value in shown.items()))


@saraban_group.command("member")
@click.argument("slug", metavar="TENANT")
@click.argument("code")
@click.argument("member_username", metavar="USERNAME")
@click.option("--head", is_flag=True, help="The unit's head.")
@_options
def member(
    slug: str, code: str, member_username: str, head: bool, data_dir: Path | None, as_json: bool
) -> None:
    """Make USERNAME a member (or --head) of the unit CODE."""
    from engine.services import tenants
    from engine.services.saraban import organisation
    from engine.store.models import User

    with platform_of(data_dir) as platform:

        async def run() -> None:
            tenant = await tenants.get_tenant(slug)
            user = await User.get_or_none(tenant_id=tenant.id, username=member_username)
            if user is None:
                raise click.ClickException(f"{slug}: no officer {member_username!r}")
            await organisation.add_member(tenant, code, user.id, head=head)

        platform.db(run())
    _emit(
        as_json,
        {"unit": code, "username": member_username, "head": head},
        f"{member_username}\t{'head of' if head else 'member of'} {code}",
    )


def check_chain(platform: Any, tenant: Any) -> Any:
    """The correspondence audit chain of ``tenant`` recomputed (:func:`engine.services.saraban.audit.verify`)."""
    from engine.services.saraban import audit

    return platform.db(audit.verify(tenant.id))


@saraban_group.command("verify")
@click.argument("slug", metavar="TENANT")
@_options
def verify(slug: str, data_dir: Path | None, as_json: bool) -> None:
    """Check TENANT's correspondence audit chain; exit 1 names the first entry that does not fit."""
    from engine.services import tenants

    with platform_of(data_dir) as platform:
        report = check_chain(platform, platform.db(tenants.get_tenant(slug)))
    document = {
        "entries": report.entries,
        "intact": report.intact,
        "broken_at": report.broken_at,
        "reason": report.reason or None,
    }
    if as_json:
        click.echo(json.dumps(document))
    if not report.intact:
        click.echo(
            f"{slug}: the correspondence chain breaks at entry {report.broken_at}: {report.reason}", err=True
        )
        sys.exit(1)
    if not as_json:
        click.echo(f"{slug}: {report.entries} correspondence entries, chain intact")


# --- search, workload, keeping and destroying letters ---


def _list_json(found: Any) -> dict[str, Any]:
    from api.saraban_views import list_json

    return list_json(found)


def _list_line(found: Any) -> str:
    """One line of a destruction list: its id, year, status, letters and signatures."""
    committee = found.committee or []
    signed = sum(1 for m in committee if m.get("approved_at"))
    return (
        f"{found.id}\t{found.year}\t{found.status}\t{len(found.items or [])} letters"
        f"\t{signed}/{len(committee)} signed"
    )


async def _officer_id(tenant: Any, username: str, option: str) -> int:
    """An active officer's id by username; raises ClickException naming the option otherwise."""
    from engine.store.models import User

    user = await User.get_or_none(tenant_id=tenant.id, username=username, active=True)
    if user is None:
        raise click.ClickException(f"{option} {username}: no active officer of that name")
    return int(user.id)


def _be_year(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """``--year`` as a Buddhist-Era year 2400–2800; raises ClickException (one line, exit 1) otherwise."""
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 2400 <= int(text[:5]) <= 2800:
        hint = (
            " (that is a Christian-era year: add 543)"
            if text.isdigit() and 1900 <= int(text[:5]) < 2400
            else ""
        )
        raise click.ClickException(f"--year {value!r}: give a Buddhist-Era year 2400–2800, e.g. 2568{hint}")
    return int(text)


def _be_year_option(func: F) -> F:
    return click.option(
        "--year", callback=_be_year, required=True, help="Buddhist-Era year (พ.ศ.), e.g. 2568."
    )(func)


@saraban_group.command("search")
@click.argument("slug", metavar="TENANT")
@click.argument("text")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@_as
@_options
def search_command(
    slug: str, text: str, limit: int, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """The letters the officer may open whose words hold every word of TEXT, best match first."""
    from engine.services.saraban import search

    with platform_of(data_dir) as platform:

        async def run() -> list[Any]:
            tenant, actor = await _office(slug, username)
            return await search.search(tenant, actor, text, limit=limit)

        found = platform.db(run())
    if as_json:
        click.echo(
            json.dumps(
                {"query": text, "letters": [_letter_json(x) for x in found]}, ensure_ascii=False, indent=2
            )
        )
        return
    for letter in found:
        click.echo(f"{letter.public_id}\t{letter.status}\t{letter.letter_number or '-'}\t{letter.subject}")


@saraban_group.command("workload")
@click.argument("slug", metavar="TENANT")
@_as
@_options
def workload_command(slug: str, username: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Per unit: the open letters it holds, how many are overdue and how many are due soon
    (the registry or an administrator)."""
    from engine.services.saraban import reports

    with platform_of(data_dir) as platform:

        async def run() -> list[Any]:
            tenant, actor = await _office(slug, username)
            return await reports.workload_for(tenant, actor)

        loads = platform.db(run())
    units = [
        {
            "code": x.unit.code,
            "name_th": x.unit.name_th,
            "held": x.held,
            "overdue": x.overdue,
            "due_soon": x.due_soon,
        }
        for x in loads
    ]
    if as_json:
        click.echo(json.dumps({"units": units}, ensure_ascii=False, indent=2))
        return
    for u in units:
        click.echo(
            f"{u['code']}\t{u['held']} held\t{u['overdue']} overdue\t{u['due_soon']} due soon\t{u['name_th']}"
        )


@saraban_group.command("hold")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@click.option("--reason", required=True, help="Why the letter is held (or released).")
@click.option("--release", is_flag=True, help="Release the hold instead.")
@_as
@_options
def hold_command(
    slug: str,
    public_id: str,
    reason: str,
    release: bool,
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Put LETTER on legal hold (never listed nor destroyed), or --release it."""
    from engine.services.saraban import retention

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await retention.set_hold(tenant, actor, public_id, not release, reason)

        letter = platform.db(run())
    _emit(
        as_json,
        {"public_id": letter.public_id, "legal_hold": letter.legal_hold, "reason": reason.strip()},
        f"{letter.public_id}\t{'on hold' if letter.legal_hold else 'released'}",
    )


@saraban_group.group("retention")
def retention_group() -> None:
    """Keeping and destroying letters: the yearly survey, the committee, the Archives, the handover."""


@retention_group.command("lists")
@click.argument("slug", metavar="TENANT")
@_options
def retention_lists(slug: str, data_dir: Path | None, as_json: bool) -> None:
    """TENANT's destruction lists, newest year first: id, year, status, letters, signatures."""
    from api.saraban_views import list_json
    from engine.services import tenants
    from engine.services.saraban import retention

    with platform_of(data_dir) as platform:

        async def run() -> list[Any]:
            return await retention.lists(await tenants.get_tenant(slug))

        found = platform.db(run())
    if as_json:
        click.echo(
            json.dumps({"lists": [list_json(x, brief=True) for x in found]}, ensure_ascii=False, indent=2)
        )
        return
    for item in found:
        click.echo(_list_line(item))


@retention_group.command("survey")
@click.argument("slug", metavar="TENANT")
@_be_year_option
@_as
@_options
def retention_survey(
    slug: str, year: int, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """List the letters whose retention ended in --year on its บัญชีหนังสือขอทำลาย (once per year)."""
    from engine.services.saraban import retention

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await retention.survey(tenant, actor, year, platform.saraban_files)

        made = platform.db(run())
    if made is None:
        _emit(
            as_json,
            {"year": year, "expired": 0, "message_th": f"ไม่มีหนังสือที่ครบกำหนดเก็บในปี พ.ศ. {year}"},
            f"{year}: no letter's retention ended that year",
        )
        return
    _emit(as_json, _list_json(made), _list_line(made))


@retention_group.command("committee")
@click.argument("slug", metavar="TENANT")
@click.argument("list_id", metavar="LIST", type=click.IntRange(1, 2_147_483_647))
@click.option("--chair", required=True, help="The chair's username.")
@click.option("--member", "members", multiple=True, help="A member's username (repeat; at least two).")
@_as
@_options
def retention_committee(
    slug: str,
    list_id: int,
    chair: str,
    members: tuple[str, ...],
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Appoint LIST's committee (a chair and at least two members) and print their names on it."""
    from engine.services.saraban import retention

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            chair_id = await _officer_id(tenant, chair, "--chair")
            member_ids = [await _officer_id(tenant, m, "--member") for m in members]
            return await retention.appoint(
                tenant, actor, list_id, platform.saraban_files, chair=chair_id, members=member_ids
            )

        found = platform.db(run())
    _emit(as_json, _list_json(found), _list_line(found))


@retention_group.command("approve")
@click.argument("slug", metavar="TENANT")
@click.argument("list_id", metavar="LIST", type=click.IntRange(1, 2_147_483_647))
@click.option("--as", "username", required=True, help="The committee member who signs.")
@click.option("--keep", "keep", multiple=True, help="A listed letter to keep (repeat for more).")
@_options
def retention_approve(
    slug: str, list_id: int, username: str, keep: tuple[str, ...], data_dir: Path | None, as_json: bool
) -> None:
    """Sign LIST as a committee member (PAdES), keeping the --keep letters."""
    from engine.services.saraban import retention

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await retention.approve(
                tenant, actor, list_id, platform.saraban_files, decisions=dict.fromkeys(keep, "keep")
            )

        found = platform.db(run())
    _emit(as_json, _list_json(found), _list_line(found))


@retention_group.command("archives")
@click.argument("slug", metavar="TENANT")
@click.argument("list_id", metavar="LIST", type=click.IntRange(1, 2_147_483_647))
@click.option("--reply", "reply", help="Record the National Archives' reply (instead of sending).")
@click.option("--objected", multiple=True, help="A letter the Archives asks to keep (with --reply).")
@_as
@_options
def retention_archives(
    slug: str,
    list_id: int,
    reply: str | None,
    objected: tuple[str, ...],
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Record that LIST went to the National Archives, or with --reply what the Archives answered."""
    from engine.services.saraban import retention

    if objected and reply is None:
        raise click.ClickException("--objected goes with --reply TEXT")
    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            if reply is None:
                return await retention.send_to_archives(tenant, actor, list_id)
            return await retention.archives_reply(tenant, actor, list_id, reply, objected=objected)

        found = platform.db(run())
    _emit(as_json, _list_json(found), _list_line(found))


@retention_group.command("destroy")
@click.argument("slug", metavar="TENANT")
@click.argument("list_id", metavar="LIST", type=click.IntRange(1, 2_147_483_647))
@_as
@_options
def retention_destroy(
    slug: str, list_id: int, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Destroy LIST's letters (after the Archives' reply or its waiting time); their rows stay."""
    from engine.services.saraban import retention

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await retention.destroy(tenant, actor, list_id, platform.saraban_files)

        found = platform.db(run())
    outcomes = ", ".join(f"{i['letter']} {i.get('outcome') or '-'}" for i in found.items or [])
    _emit(as_json, _list_json(found), f"{_list_line(found)}\t{outcomes}")


@retention_group.command("handover")
@click.argument("slug", metavar="TENANT")
@_be_year_option
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Write the PDF here."
)
@_as
@_options
def retention_handover(
    slug: str, year: int, out: Path, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Write the บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21) of --year: letters kept permanently, 20 years old."""
    from engine.services.saraban import retention

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await retention.handover_list(tenant, actor, year, platform.saraban_files)

        made = platform.db(run())
    _write(out, made.pdf)
    _emit(
        as_json,
        {
            "year": made.year,
            "letters": [x.public_id for x in made.letters],
            "out": str(out),
            "bytes": len(made.pdf),
        },
        f"{made.year}\t{len(made.letters)} letters\t{out}",
    )


# The commands of these modules join the saraban group.
from thongthin import cli_saraban_agencies  # noqa: E402,F401,I001
from thongthin import cli_saraban_exchange  # noqa: E402,F401
from thongthin import cli_saraban_ecms  # noqa: E402,F401
from thongthin import cli_saraban_mail  # noqa: E402,F401
