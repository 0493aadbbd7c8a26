"""``thongthin saraban retention``: the installed command walks one destruction round on a temporary
data folder — survey → committee → approve ×3 (PAdES with the development PKI) → archives →
destroy — and a wrong ``--year`` ends with one line and exit 1. The letter is received and closed
in 2024 by a seed script, so its retention ended with พ.ศ. 2568.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from tests.e2e.test_serve import THONGTHIN, clean_environ
from tests.prepared import migrated_data

TENANT = "retention-town"
PEOPLE = (
    ("clerk", "saraban_clerk"),
    ("chair", "chief_administrator"),
    ("m1", "department_head"),
    ("m2", "department_head"),
)
SEED = f"""
from datetime import datetime
from engine.services import accounts, tenants
from engine.services.saraban import letters, organisation
from engine.store.models import User
from engine.workflow.sla import BANGKOK
from tests.signing_fixtures import make_pdf
from thongthin.platform import Platform
from thongthin.settings import Settings

platform = Platform.create(Settings.from_env())

async def seed():
    tenant = await tenants.ensure_tenant(
        "{TENANT}", name_th="เทศบาลตำบลเก็บรักษาหนังสือ", name_en="Retention", kind="municipality",
        province="เชียงใหม่", reference_prefix="RC",
    )
    tenant.settings = {{"saraban": {{"letter_code": "ชม 52401"}}}}
    await tenant.save()
    for name, role in {PEOPLE!r}:
        await accounts.create_user(tenant, name, "x" * 16, f"สมศรี {{name}}", [role], position_th=role)
    clerk = await organisation.actor(tenant, await User.get(tenant_id=tenant.id, username="clerk"))
    received = datetime(2024, 5, 31, 10, tzinfo=BANGKOK)
    letter = await letters.receive(
        tenant, clerk, letters.Incoming("มท 0808.2/ว 9", received.date(), "จังหวัด", "นายก", "ขอเชิญประชุมประจำปี"),
        make_pdf(), platform.saraban_files, now=received,
    )
    closed = await letters.close(
        tenant, clerk, letter.public_id, version=letter.version, retention_class="routine",
        now=datetime(2024, 6, 1, 10, tzinfo=BANGKOK),
    )
    print(closed.public_id)

platform.db(seed())
platform.runtime.close()
"""


@dataclass
class Town:
    data: Path
    environ: dict[str, str]
    letter: str

    def saraban(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [THONGTHIN, "saraban", *args, "--data", str(self.data)],
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=180,
        )


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    folder = tmp_path_factory.mktemp("saraban-retention-cli")
    data = folder / "data"
    environ = clean_environ(THONGTHIN_DATA=str(data), SECRET_KEY="test-saraban-retention-cli")
    migrated_data(tmp_path_factory, data)
    seeded = subprocess.run(
        [sys.executable, "-c", SEED],
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).parents[2],
    )
    assert seeded.returncode == 0, seeded.stderr
    server = DevPkiServer(port=0)
    officers = [
        Officer(TENANT, role, f"สมศรี {role}", "เทศบาลตำบลเก็บรักษาหนังสือ")
        for role in sorted({r for _, r in PEOPLE})
    ]
    server.start(ensure_dev_pki(data / "pki", officers, url=server.url))
    yield Town(data, environ, seeded.stdout.strip().splitlines()[-1])
    server.stop()


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_survey_committee_approve_archives_destroy(town: Town) -> None:
    survey = town.saraban("retention", "survey", TENANT, "--year", "2568", "--json")
    assert survey.returncode == 0, survey.stderr
    made = json.loads(survey.stdout)
    assert [i["public_id"] for i in made["items"]] == [town.letter] and made["status"] == "draft"
    list_id = str(made["id"])

    committee = town.saraban(
        "retention", "committee", TENANT, list_id, "--chair", "chair", "--member", "m1", "--member", "m2"
    )
    assert committee.returncode == 0, committee.stderr
    assert committee.stdout.startswith(f"{list_id}\t2568\tdraft\t1 letters\t0/3 signed")
    for who in ("chair", "m1", "m2"):
        signed = town.saraban("retention", "approve", TENANT, list_id, "--as", who)
        assert signed.returncode == 0, signed.stderr
    assert "\tapproved\t" in signed.stdout and "3/3 signed" in signed.stdout

    sent = town.saraban("retention", "archives", TENANT, list_id)
    assert sent.returncode == 0 and "\tarchives\t" in sent.stdout, sent.stderr
    assert "retention_refused" in one_line_error(town.saraban("retention", "destroy", TENANT, list_id))
    replied = town.saraban("retention", "archives", TENANT, list_id, "--reply", "ไม่ขัดข้อง")
    assert replied.returncode == 0, replied.stderr
    done = town.saraban("retention", "destroy", TENANT, list_id, "--json")
    assert done.returncode == 0, done.stderr
    destroyed = json.loads(done.stdout)
    assert destroyed["status"] == "destroyed" and destroyed["items"][0]["outcome"] == "destroyed"
    listed = town.saraban("retention", "lists", TENANT)
    assert listed.stdout.startswith(f"{list_id}\t2568\tdestroyed")


def test_a_year_that_is_not_buddhist_era_is_one_line(town: Town) -> None:
    assert "Buddhist-Era" in one_line_error(town.saraban("retention", "survey", TENANT, "--year", "2025"))
