"""``thongthin saraban``: the installed command on a temporary data folder, as a registry clerk scripts it.

receive → route (twice, the version read by the command) → register → audit verify, then the
refusals: a date not in the Buddhist era, an unknown officer, a stale or foreign letter — each
one line on standard error and a non-zero exit, never a traceback. Steps carry the typed name
(the test municipality allows it), so no signing key or timestamp service is needed.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.saraban.numbering import calendar_year
from engine.saraban.vocabulary import register_columns
from tests.e2e.test_serve import THONGTHIN, clean_environ
from tests.prepared import migrated_data

TENANT = "saraban-town"
SEED = f"""
from engine.services import accounts, tenants
from engine.store.runtime import OrmRuntime
from thongthin.settings import Settings

async def seed():
    tenant = await tenants.ensure_tenant(
        "{TENANT}", name_th="เทศบาลตำบลสารบรรณ", name_en="Saraban", kind="municipality",
        province="เชียงใหม่", reference_prefix="SR",
    )
    tenant.settings = {{"saraban": {{"letter_code": "ชม 52101", "typed_name_signing": True}}}}
    await tenant.save()
    for name, role in (("clerk", "saraban_clerk"), ("head", "department_head"), ("eng", "engineer"), ("boss", "admin")):
        await accounts.create_user(tenant, name, "x" * 16, f"สมศรี {{name}}", [role], position_th=role)

runtime = OrmRuntime(Settings.from_env().database_url)
runtime.run(seed())
runtime.close()
"""


def minimal_pdf() -> bytes:
    """A one-page PDF with its cross-reference table (what a scanner's simplest output looks like)."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass
class Town:
    data: Path
    environ: dict[str, str]
    letter_pdf: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [THONGTHIN, *args], env=self.environ, capture_output=True, text=True, timeout=180
        )

    def saraban(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("saraban", *args, "--data", str(self.data))


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    folder = tmp_path_factory.mktemp("saraban-cli")
    data = folder / "data"
    environ = clean_environ(THONGTHIN_DATA=str(data), SECRET_KEY="test-saraban-cli")
    migrated_data(tmp_path_factory, data)
    done = subprocess.run(
        [sys.executable, "-c", SEED], env=environ, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    letter = folder / "letter.pdf"
    letter.write_bytes(minimal_pdf())
    made = Town(data, environ, letter)
    for args in (
        ("unit", TENANT, "engineering", "--name", "กองช่าง", "--suffix", ".3"),
        ("member", TENANT, "engineering", "head", "--head"),
        ("member", TENANT, "engineering", "eng"),
    ):
        done = made.saraban(*args)
        assert done.returncode == 0, done.stderr
    yield made


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_receive_route_register_and_verify(town: Town, tmp_path: Path):
    received = town.saraban(
        "receive", TENANT, "--pdf", str(town.letter_pdf), "--number", "ชม 0017/5", "--date", "2569-12-04",
        "--from", "ที่ทำการปกครองจังหวัด", "--to", "นายกเทศมนตรี", "--subject", "ขอเชิญประชุม",
        "--urgency", "urgent", "--json",
    )  # fmt: skip
    assert received.returncode == 0, received.stderr
    letter = json.loads(received.stdout)
    assert letter["receive_number"].isdigit() and letter["letter_date"] == "2026-12-04"
    assert letter["urgency"] == "urgent" and letter["original_sha256"] and letter["status"] == "received"
    public_id = letter["public_id"]

    routed = town.saraban(
        "route", TENANT, public_id, "--as", "clerk", "--to", "unit:engineering", "--action", "assign",
        "--text", "โปรดดำเนินการ", "--typed-name", "--json",
    )  # fmt: skip
    assert routed.returncode == 0, routed.stderr
    step = json.loads(routed.stdout)
    assert step["seq"] == 1 and step["target"]["value"] == "engineering"
    onward = town.saraban(
        "route", TENANT, public_id, "--as", "head", "--to", "user:eng", "--action", "assign", "--typed-name"
    )
    assert onward.returncode == 0, onward.stderr
    assert onward.stdout.startswith(f"{public_id}\tstep 2: assign")

    out = tmp_path / "letter.pdf"
    copy = town.saraban("pdf", TENANT, public_id, "--out", str(out), "--as", "eng")
    assert copy.returncode == 0, copy.stderr
    assert out.read_bytes().startswith(town.letter_pdf.read_bytes())  # every stamp is an incremental revision

    year = str(calendar_year(datetime.now(UTC)))
    book = town.saraban("register", TENANT, "--book", "receive", "--year", year, "--json")
    assert book.returncode == 0, book.stderr
    document = json.loads(book.stdout)
    assert document["columns"] == list(register_columns("receive"))
    [row] = [r for r in document["rows"] if r[2] == "ชม 0017/5"]
    assert row[6] == "ขอเชิญประชุม" and "สมศรี eng" in row[7]  # การปฏิบัติ: where it went last
    exported = town.saraban("register", TENANT, "--book", "receive", "--csv")
    assert exported.returncode == 0, exported.stderr
    assert next(csv.reader(io.StringIO(exported.stdout))) == list(register_columns("receive"))

    verified = town.run("audit", "verify", TENANT)
    assert verified.returncode == 0, verified.stderr
    assert "correspondence entries, chain intact" in verified.stderr


def test_reserve_then_cancel_a_number(town: Town):
    reserved = town.saraban("reserve", TENANT, "--book", "send", "--subject", "หนังสือเชิญประชุม", "--json")
    assert reserved.returncode == 0, reserved.stderr
    entry = json.loads(reserved.stdout)
    assert entry["state"] == "reserved" and entry["number_text"].startswith("ชม 52101/")
    cancelled = town.saraban("cancel", TENANT, str(entry["id"]), "--reason", "ไม่ใช้แล้ว")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "ยกเลิก" in one_line_error(town.saraban("cancel", TENANT, str(entry["id"]), "--reason", "ซ้ำ"))


@pytest.mark.parametrize(
    "args,words",
    [
        (("--date", "2026-12-04"), "Buddhist era"),
        (("--date", "4 Dec 2569"), "YYYY-MM-DD"),
        (("--date", "2569-12-04", "--as", "nobody"), "no active officer 'nobody'"),
        (("--date", "2569-12-04", "--as", "eng"), "สารบรรณกลาง"),
        (("--date", "2569-12-04", "--subject", " "), "เรื่อง"),
    ],
)
def test_bad_input_is_one_line(town: Town, args: tuple[str, ...], words: str):
    given = {"--subject": "ขอเชิญประชุม"}
    rest = list(args)
    if "--subject" in rest:
        given["--subject"] = rest.pop(rest.index("--subject") + 1)
        rest.remove("--subject")
    done = town.saraban(
        "receive", TENANT, "--pdf", str(town.letter_pdf), "--from", "จังหวัด", "--to", "นายก",
        "--subject", given["--subject"], *rest,
    )  # fmt: skip
    assert words in one_line_error(done)


def test_refusals_of_letters_are_one_line(town: Town):
    assert "letter_not_found" in one_line_error(
        town.saraban(
            "route", TENANT, "Lnosuchletter", "--as", "clerk", "--action", "acknowledge", "--typed-name"
        )
    )
    assert "unit:CODE" in one_line_error(
        town.saraban("route", TENANT, "Lx", "--as", "clerk", "--to", "engineering", "--action", "assign")
    )
    assert "no municipality" in one_line_error(town.saraban("register", "no-such-town", "--book", "send"))


def test_audit_verify_names_the_entry_that_was_changed(town: Town):
    made = town.saraban(
        "receive",
        TENANT,
        "--pdf",
        str(town.letter_pdf),
        "--from",
        "จังหวัด",
        "--to",
        "นายก",
        "--subject",
        "ทดสอบ",
    )
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(town.data / "thongthin.sqlite3") as database:
        database.execute("UPDATE saraban_audit SET actor_label = 'nobody' WHERE seq = 2")
    broken = town.run("audit", "verify", TENANT)
    assert broken.returncode == 1
    assert "correspondence chain breaks at entry 2" in broken.stderr
    alone = town.saraban("verify", TENANT, "--json")
    assert alone.returncode == 1 and json.loads(alone.stdout)["broken_at"] == 2


def test_settings_are_shown_and_changed_by_the_administrator(town: Town):
    changed = town.saraban("settings", TENANT, "--reservation-hours", "48", "--typed-name", "--json")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout) == {
        "letter_code": "ชม 52101", "numbers_per_unit": False, "typed_name_signing": True, "reservation_hours": 48.0,
        "ecms_url": "",
    }  # fmt: skip
    assert "รหัสหนังสือ" in one_line_error(town.saraban("settings", TENANT, "--letter-code", "52101"))
    assert "admin" in one_line_error(town.saraban("settings", TENANT, "--as", "clerk", "--typed-name"))
