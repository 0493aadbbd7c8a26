"""Letters sent, delivered and registered per second between two municipalities of one platform,
against a bare bulk insert of the rows the exchange wrote.

The platform side is the whole round of :mod:`engine.services.saraban.exchange` as the registry's
pages and the ``saraban_deliver`` job run it: :func:`~engine.services.saraban.exchange.send`
(a signed Letter message and its dispatch per letter, the body kept in the blob store), the
delivery jobs through the job queue (``deliver`` hands each message to the in-platform transport,
whose :func:`~engine.services.saraban.exchange.take_in` parses the envelope, checks the sender's
JWS against the directory, stores the message and queues a ReceiveNotice back), then
:func:`~engine.services.saraban.exchange.register` at the addressee (its own copy of the PDF with
the receive stamp, a receive number, an AcceptNotice queued back) and the jobs once more, until
the sender's dispatch is ``accepted`` with the เลขรับ. ``letters`` letters go through together,
phase by phase, as a registry's day of post would.

The letters are drafted and signed before the clock starts, with a typed name (ฉบับที่ 4), not
PAdES: the benchmark measures the exchange, not the signing of the letters. The exchange's own
JWS signatures (ES256, one per message) are part of what is measured.

The baseline inserts the very rows the round created — the six messages per letter (Letter,
ReceiveNotice and AcceptNotice, each as sent and as received), the dispatch and the receive
register row — read back and given fresh keys so they do not conflict, by ORM bulk inserts in
one transaction per batch, and nothing else: no envelopes, no signatures, no PDFs, no blobs, no
jobs. The ratio shows what the exchange's own work costs next to the bare writes. On PostgreSQL a
throw-away database is created and dropped around the run; blobs go to a temporary folder.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.submit import database
from bench.timing import result

SENDER = ("benchtown", "เทศบาลตำบลทดสอบความเร็ว", "ชม 52197")
ADDRESSEE = ("benchvillage", "เทศบาลตำบลทดสอบปลายทาง", "ชม 52198")
BATCH = 500


async def _town(slug: str, name_th: str, code: str) -> tuple[Any, Any]:
    """A municipality with its letter code, typed-name signing on, and its registry clerk."""
    from engine.services import accounts, tenants
    from engine.services.saraban import agencies, organisation

    tenant = await tenants.ensure_tenant(
        slug, name_th=name_th, name_en=slug, kind="municipality", province="เชียงใหม่", reference_prefix="BX"
    )
    tenant.settings = {"saraban": {"letter_code": code, "typed_name_signing": True}}
    await tenant.save()
    user = await accounts.create_user(
        tenant, f"{slug}.clerk", "bench-password-1", "นางสาวทดสอบ ความเร็ว", ["saraban_clerk"],
        position_th="เจ้าพนักงานธุรการ",
    )  # fmt: skip
    await organisation.put_unit(tenant, "palad", "สำนักปลัดเทศบาล", letter_suffix=".1")
    await organisation.add_member(tenant, "palad", user.id, head=True)
    await agencies.ensure_for_tenant(tenant)
    return tenant, await organisation.actor(tenant, user)


async def _signed_letters(tenant: Any, clerk: Any, files: Any, count: int) -> list[str]:
    """``count`` letters to the addressee, signed with a typed name; their public ids."""
    from engine.services.saraban import letters
    from engine.services.saraban.letters import Outgoing

    made = []
    for n in range(count):
        draft = await letters.draft(
            tenant, clerk,
            Outgoing("external", f"ขอความร่วมมือประชาสัมพันธ์การชำระภาษีที่ดินและสิ่งปลูกสร้าง ฉบับที่ {n + 1}",
                     "นายกเทศมนตรีตำบลทดสอบปลายทาง", "palad",
                     body=("ด้วยเทศบาลจะรับชำระภาษีที่ดินและสิ่งปลูกสร้างประจำปี จึงขอความร่วมมือประชาสัมพันธ์ให้ประชาชนทราบ",
                           "จึงเรียนมาเพื่อโปรดพิจารณาให้ความร่วมมือ"),
                     addressees=(ADDRESSEE[2],), signer_name="นายทดสอบ ความเร็ว", signer_position="นายกเทศมนตรีตำบลทดสอบความเร็ว"),
            files,
        )  # fmt: skip
        signed = await letters.sign(
            tenant, clerk, draft.public_id, files, version=draft.version, typed_name=True
        )
        made.append(signed.public_id)
    return made


async def _exchange_round(
    local: Any, sender: tuple[Any, Any], addressee: tuple[Any, Any], public_ids: list[str]
) -> None:
    """Send every letter, deliver, register each at the addressee, deliver the notices back."""
    from engine.services.saraban import exchange
    from thongthin.demo_exchange import pump

    box = local.saraban_exchange
    for public_id in public_ids:
        await exchange.send(sender[0], sender[1], public_id, box)
    await pump(local, batch=BATCH)
    waiting = await exchange.incoming(addressee[0], addressee[1], limit=len(public_ids))
    while waiting:
        for item in waiting:
            await exchange.register(addressee[0], addressee[1], item.receipt_id, box)
        waiting = await exchange.incoming(addressee[0], addressee[1], limit=len(public_ids))
    await pump(local, batch=BATCH)


async def _check(sender: Any, addressee: Any, count: int) -> None:
    """Raises RuntimeError unless every letter came back accepted with its own receive number."""
    from engine.store.models import Dispatch, ExchangeMessage, RegisterEntry

    accepted = await Dispatch.filter(tenant_id=sender.id, state="accepted").values_list(
        "accept_id", flat=True
    )
    book = await RegisterEntry.filter(tenant_id=addressee.id, book="receive").count()
    messages = await ExchangeMessage.all().count()
    if len(accepted) != count or len(set(accepted)) != count or book != count or messages != 6 * count:
        raise RuntimeError(
            f"{count} letters sent: {len(accepted)} accepted ({len(set(accepted))} receive numbers), "
            f"{book} rows in the receive book, {messages} messages (expected six per letter)"
        )


def _fresh(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != "id"}


async def raw_insert(addressee: Any) -> tuple[int, float]:
    """The round's messages, dispatches and receive register rows inserted again with fresh keys
    by bare bulk inserts; (letters' worth of rows, seconds)."""
    from tortoise.transactions import in_transaction

    from engine.store.models import Dispatch, ExchangeMessage, RegisterEntry

    messages = await ExchangeMessage.all().order_by("id").values()
    dispatches = await Dispatch.all().order_by("id").values()
    entries = await RegisterEntry.filter(tenant_id=addressee.id, book="receive").order_by("id").values()
    year_shift = 1000  # another calendar year's book: the same numbers, no conflict
    moved_messages = [ExchangeMessage(**{**_fresh(row), "message_id": str(uuid.uuid4())}) for row in messages]
    moved_dispatches = [Dispatch(**{**_fresh(row), "round": row["round"] + 1}) for row in dispatches]
    moved_entries = [RegisterEntry(**{**_fresh(row), "year": row["year"] + year_shift}) for row in entries]
    letters = len(dispatches)
    per_letter = max(1, len(moved_messages) // max(letters, 1))
    start = time.perf_counter()
    for offset in range(0, letters, BATCH):
        async with in_transaction() as connection:
            await ExchangeMessage.bulk_create(
                moved_messages[offset * per_letter : (offset + BATCH) * per_letter], using_db=connection
            )
            await Dispatch.bulk_create(moved_dispatches[offset : offset + BATCH], using_db=connection)
            await RegisterEntry.bulk_create(moved_entries[offset : offset + BATCH], using_db=connection)
    return letters, time.perf_counter() - start


def run(
    seconds: float = 0.0,
    echo: Callable[[str], None] = print,
    backend: str = "sqlite",
    letters: int = 100,
) -> dict[str, Any]:
    """Exchange ``letters`` letters once, time it next to the raw insert, and return the result line.

    ``seconds`` is unused (both sides run once over all letters). Raises
    :class:`bench.submit.BenchError` when PostgreSQL does not answer, :class:`RuntimeError` when
    a letter did not come back accepted with its own receive number, and :class:`ValueError` for
    an unknown ``backend`` or fewer than one letter.
    """
    from engine.blobs import LocalBlobStore
    from engine.services.saraban.letters import Files
    from engine.store.runtime import OrmRuntime
    from thongthin.demo_exchange import LocalExchange
    from thongthin.saraban_pdf import LetterPdfTools

    if backend not in ("sqlite", "postgres"):
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    if letters < 1:
        raise ValueError("exchange at least one letter")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="thongthin-bench-") as tmp, database(backend, Path(tmp)) as url:
        files = Files(
            tools=LetterPdfTools(Path(tmp), {}),
            blobs=LocalBlobStore(Path(tmp) / "blobs"),
            secret_key=uuid.uuid4().hex,
        )
        local = LocalExchange(files)
        runtime = OrmRuntime(url)
        try:
            runtime.upgrade()
            start = time.perf_counter()
            sender = runtime.run(_town(*SENDER))
            addressee = runtime.run(_town(*ADDRESSEE))
            public_ids = runtime.run(_signed_letters(*sender, files, letters))
            setup = time.perf_counter() - start
            echo(
                f"{backend}: {letters} letters drafted and signed with a typed name in {setup:.1f}s (not timed)"
            )

            start = time.perf_counter()
            runtime.run(_exchange_round(local, sender, addressee, public_ids))
            platform_seconds = time.perf_counter() - start
            runtime.run(_check(sender[0], addressee[0], letters))
            baseline_letters, baseline_seconds = runtime.run(raw_insert(addressee[0]))
        finally:
            runtime.close()
    total = time.perf_counter() - began
    value, baseline = letters / platform_seconds, baseline_letters / baseline_seconds
    echo(
        f"send, deliver, take in, register, notices back: {platform_seconds:.2f}s, {value:,.1f} letters/s; "
        "every letter accepted with its own receive number"
    )
    echo(
        f"bulk insert of the same rows (6 messages, dispatch, register row): {baseline_seconds:.3f}s, "
        f"{baseline:,.0f} letters/s"
    )
    echo(f"ratio {value / baseline:.4f}; whole benchmark {total:.1f}s")
    return result(
        "exchange",
        value,
        baseline,
        "letters/s",
        backend=backend,
        letters=letters,
        seconds=round(platform_seconds, 2),
        baseline_seconds=round(baseline_seconds, 3),
        setup_seconds=round(setup, 1),
        signing="typed_name",
    )
