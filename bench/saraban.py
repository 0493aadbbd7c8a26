"""Letters registered and stamped per second, against pyHanko's incremental receive stamp alone.

The platform side is :func:`engine.services.saraban.letters.receive` as the clerk's page, the
API and ``thongthin saraban receive`` call it: it checks the fields, turns the file into a PDF
if it is a scan, takes the next receive number in the tenant's book for the Bangkok calendar
year (``INSERT … ON CONFLICT … RETURNING``), writes the letter and its register row (แบบที่ 12),
adds the receive stamp to the PDF as an incremental revision, stores the stamped file in the
blob store and appends the hash-chained audit entry — one transaction per letter.

The baseline is the stamp alone on the same PDF (:func:`signing.saraban.stamp_receive`, the
very call the platform makes): no database, no blob store. Both are measured in alternating
rounds (:func:`bench.timing.interleaved`) in this process, on the same letter. The ratio shows
what registering adds to stamping. On PostgreSQL a throw-away database is created and dropped
around the run; blobs go to a temporary folder either way.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.submit import database
from bench.timing import interleaved, result

TENANT = "benchtown"


def sample_letter(files: Any) -> bytes:
    """A one-page letter from the district office, rendered as the demo renders letters that arrive."""
    from thongthin.demo_saraban import _incoming_pdf

    return _incoming_pdf(
        files, "ที่ทำการปกครองอำเภอเมืองเชียงใหม่", "ชม 0318/5678", date(2026, 12, 1),
        "ขอความร่วมมือสำรวจข้อมูลผู้สูงอายุ", "ขอความร่วมมือเทศบาลสำรวจข้อมูลผู้สูงอายุในพื้นที่และแจ้งผลภายในสิ้นเดือน",
    )  # fmt: skip


async def seed() -> tuple[Any, Any]:
    from engine.services import accounts, tenants
    from engine.services.saraban import organisation

    tenant = await tenants.ensure_tenant(
        TENANT, name_th="เทศบาลตำบลทดสอบความเร็ว", name_en="Bench town", kind="municipality",
        province="เชียงใหม่", reference_prefix="BT",
    )  # fmt: skip
    tenant.settings = {"saraban": {"letter_code": "ชม 52199"}}
    await tenant.save()
    user = await accounts.create_user(
        tenant, "bench.clerk", "bench-password-1", "นางสาวทดสอบ ความเร็ว", ["saraban_clerk"]
    )
    return tenant, await organisation.actor(tenant, user)


def run(seconds: float = 3.0, echo: Callable[[str], None] = print, backend: str = "sqlite") -> dict[str, Any]:
    """Measure both sides and return the result line.

    Raises :class:`bench.submit.BenchError` when PostgreSQL does not answer, :class:`RuntimeError`
    when the book does not hold exactly one row per letter registered, and ValueError for an
    unknown ``backend``.
    """
    from engine.blobs import LocalBlobStore
    from engine.services.saraban import letters
    from engine.services.saraban.letters import Files, Incoming
    from engine.store.models import RegisterEntry
    from engine.store.runtime import OrmRuntime
    from signing import saraban as stamps
    from thongthin.saraban_pdf import LetterPdfTools

    if backend not in ("sqlite", "postgres"):
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    with tempfile.TemporaryDirectory(prefix="thongthin-bench-") as tmp, database(backend, Path(tmp)) as url:
        files = Files(tools=LetterPdfTools(Path(tmp), {}), blobs=LocalBlobStore(Path(tmp) / "blobs"))
        pdf = sample_letter(files)
        runtime = OrmRuntime(url)
        try:
            runtime.upgrade()
            tenant, clerk = runtime.run(seed())
            incoming = Incoming(
                "ชม 0318/5678", date(2026, 12, 1), "ที่ทำการปกครองอำเภอเมืองเชียงใหม่",
                "นายกเทศมนตรีตำบลทดสอบความเร็ว", "ขอความร่วมมือสำรวจข้อมูลผู้สูงอายุ",
            )  # fmt: skip
            registered = 0

            def register() -> None:
                nonlocal registered
                runtime.run(letters.receive(tenant, clerk, incoming, pdf, files))
                registered += 1

            def stamp_only() -> None:
                stamps.stamp_receive(
                    pdf,
                    agency_name=tenant.name_th,
                    number="123",
                    received_at=datetime.now(UTC),
                    thai_numerals=False,
                )

            register()  # the first letter creates the year's book row and warms the caches
            start = time.perf_counter()
            rates = interleaved({"platform": register, "baseline": stamp_only}, seconds)
            elapsed = time.perf_counter() - start
            rows = runtime.run(RegisterEntry.filter(tenant_id=tenant.id, book="receive").count())
            if rows != registered:
                raise RuntimeError(f"{registered} letters registered but the book has {rows} rows")
        finally:
            runtime.close()
    value, baseline = rates["platform"], rates["baseline"]
    echo(f"{backend}: {registered} letters registered in {elapsed:.1f}s; the receive book has one row each")
    echo(f"register + stamp + store + audit: {value:,.1f} letters/s")
    echo(f"incremental receive stamp alone:  {baseline:,.1f} stamps/s ({len(pdf):,} byte letter)")
    return result(
        "saraban", value, baseline, "letters/s", backend=backend, letters=registered, pdf_bytes=len(pdf)
    )
