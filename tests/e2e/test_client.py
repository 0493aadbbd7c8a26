"""The Python client and the terminal form example against a served, seeded instance.

What a program built on ``thongthin_client`` does: read the catalog and a municipality's services,
read a definition once and then only revalidate it (304), submit and track, be told which answers
are wrong in Thai and English, work the inbox as an officer and move an application on, and get
typed errors for what does not exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from thongthin_client import (
    ApiError,
    Client,
    Conflict,
    Forbidden,
    InboxItem,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)

from tests.conftest import EXAMPLES
from tests.e2e.test_serve import SEED, TENANT, THONGTHIN, clean_environ, free_port, stop, wait_listening
from tests.uploads import TINY_JPEG, TINY_PDF
from thongthin.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
TERMINAL_FORM = ROOT / "examples" / "terminal_form.py"
VALID = EXAMPLES / "complaint" / "valid-stray-dogs-anonymous.json"
CORRUPTION = EXAMPLES / "complaint" / "valid-corruption-named.json"
INVALID = EXAMPLES / "complaint" / "invalid-missing-phone.json"
OFFICER = f"{TENANT}.complaint_officer"


@dataclass
class Server:
    url: str
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("client")
    environ = clean_environ(THONGTHIN_DATA=str(folder / "data"), SECRET_KEY="test-client-secret")
    for step in ([THONGTHIN, "db", "upgrade"], [sys.executable, "-c", SEED]):
        done = subprocess.run(step, env=environ, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
    port = free_port()
    log = folder / "server.log"
    command = [THONGTHIN, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=environ, stdout=sink, stderr=sink, start_new_session=True)
    try:
        wait_listening(process, port, log)
        yield Server(f"http://127.0.0.1:{port}", log)
    finally:
        stop(process)


@pytest.fixture
def api(server: Server) -> Iterator[Client]:
    with Client(server.url) as client:
        yield client


def recording(client: Client) -> list[tuple[httpx.Request, int]]:
    """Every request ``client`` sends from now on, with the status of its answer."""
    seen: list[tuple[httpx.Request, int]] = []

    def record(response: httpx.Response) -> None:
        seen.append((response.request, response.status_code))

    client.http.event_hooks["response"].append(record)
    return seen


def test_catalog_and_services(api: Client):
    catalog = {entry["id"]: entry for entry in api.catalog()}
    assert "complaint" in catalog
    assert catalog["complaint"]["latest"] in catalog["complaint"]["versions"]
    offered = {service["id"]: service for service in api.services(TENANT)}
    assert offered["complaint"]["title"]["th"] == "แจ้งเรื่องร้องเรียน/ร้องทุกข์"
    assert set(offered) <= set(catalog)


def test_definition_is_read_once_then_revalidated_with_its_etag(api: Client):
    seen = recording(api)
    first = api.service(TENANT, "complaint")
    second = api.service(TENANT, "complaint")
    assert [status for _, status in seen] == [200, 304]
    assert "If-None-Match" not in seen[0][0].headers
    assert seen[1][0].headers["If-None-Match"]
    # The 304 has no body: the client answers with the document it kept.
    assert second == first
    assert second["ui"]["steps"][0]["fields"][0]["label"]["th"] == "การระบุตัวตน"
    assert second["form"]["required"] == ["complainant", "complaint", "location"]


def test_submit_then_track_as_the_applicant(api: Client):
    receipt = api.submit(TENANT, "complaint", json.loads(VALID.read_text()))
    assert receipt.status == "received"
    assert receipt.location == f"/api/v1/tenants/{TENANT}/submissions/{receipt.reference}"
    tracked = api.track(TENANT, receipt.reference)
    assert tracked["reference"] == receipt.reference
    assert tracked["status"] == "received"
    assert "data" not in tracked  # applicants see their status, not the officers' view
    # Another program holding only the reference and a wrong token learns nothing.
    with pytest.raises(NotFound) as refused:
        api.track(TENANT, receipt.reference, tracking_token="not-the-token")
    assert refused.value.status == 404


def test_invalid_data_is_refused_field_by_field_in_thai_and_english(api: Client):
    with pytest.raises(ValidationFailed) as refused:
        api.submit(TENANT, "complaint", json.loads(INVALID.read_text()))
    error = refused.value
    assert error.status == 422
    assert error.code == "invalid_submission"
    phone = [e for e in error.errors if e.pointer == "/complainant/phone"]
    assert phone, error.errors
    assert phone[0].message_th == "กรุณากรอกหมายเลขโทรศัพท์ หรือเลือกร้องเรียนแบบไม่ประสงค์ออกนาม"
    assert phone[0].message_en == "Enter your phone number, or choose to stay anonymous"


def test_an_officer_finds_it_in_the_inbox_and_moves_it_on(server: Server, api: Client):
    receipt = api.submit(TENANT, "complaint", json.loads(VALID.read_text()))
    with Client(server.url) as desk:
        with pytest.raises(Unauthorized):
            desk.login(TENANT, OFFICER, "wrong password")
        desk.login(TENANT, OFFICER, DEMO_PASSWORD)
        seen = recording(desk)
        items = list(desk.inbox(TENANT, service="complaint", page_size=1))
        # One item a page: every page was fetched through the cursor, none twice.
        assert len(seen) == len(items) >= 2
        assert len({item.reference for item in items}) == len(items)
        mine = [item for item in items if item.reference == receipt.reference]
        assert mine == [
            InboxItem(
                reference=receipt.reference,
                service="complaint",
                state="received",
                submitted_at=mine[0].submitted_at,
                due_at=mine[0].due_at,
                sla=mine[0].sla,
            )
        ]
        moved = desk.transition(
            TENANT, receipt.reference, "assign", {"department": "public_health"}, version=1
        )
        assert moved["fired"] is True
        assert moved["status"] == "in_progress"
        assert moved["history"][-1]["input"] == {"department": "public_health"}
        assert receipt.reference not in {item.reference for item in desk.inbox(TENANT, state="received")}
        # The neighbouring municipality's inbox is not this officer's to read.
        with pytest.raises(Forbidden) as elsewhere:
            desk.inbox_page("suthep")
        assert elsewhere.value.code == "wrong_tenant"
    tracked = api.track(TENANT, receipt.reference)
    assert tracked["status"] == "in_progress"
    assert [entry["to"] for entry in tracked["history"]][-1] == "in_progress"


def test_refused_actions_say_why_in_thai_and_english(server: Server, api: Client):
    corruption = api.submit(TENANT, "complaint", json.loads(CORRUPTION.read_text()))
    with Client(server.url) as desk:
        desk.login(TENANT, OFFICER, DEMO_PASSWORD)
        # A complaint of corruption goes to the mayor; the workflow's guard refuses assigning it.
        with pytest.raises(Conflict) as guarded:
            desk.transition(TENANT, corruption.reference, "assign", {"department": "finance"})
        assert guarded.value.code == "guard_failed"
        assert guarded.value.message_th == "เรื่องร้องเรียนการทุจริตหรือประพฤติมิชอบต้องเสนอผู้บริหารท้องถิ่น"
        # An input its schema refuses lists the wrong answers.
        with pytest.raises(ValidationFailed) as invalid:
            desk.transition(
                TENANT, corruption.reference, "reject", {"reason_code": "too_late", "reason": "-"}
            )
        assert invalid.value.code == "invalid_input"
        assert {error.pointer for error in invalid.value.errors} >= {"/reason_code", "/reason"}
        assert desk.track(TENANT, corruption.reference)["status"] == "received"


def test_unknown_places_are_not_found(api: Client):
    with pytest.raises(NotFound) as no_town:
        api.services("no-such-town")
    assert no_town.value.code == "tenant_not_found"
    with pytest.raises(NotFound) as no_service:
        api.service(TENANT, "no-such-service")
    assert no_service.value.status == 404
    with pytest.raises(Unauthorized):
        api.inbox_page(TENANT)


def test_other_refusals_keep_their_status_and_code(api: Client):
    # This installation has no trust roots: verifying is refused, as an ApiError of no narrower kind.
    with pytest.raises(ApiError) as refused:
        api.verify(TINY_PDF)
    assert type(refused.value) is ApiError
    assert (refused.value.status, refused.value.code) == (503, "verification_unavailable")


def test_guessing_passwords_is_rate_limited_with_the_time_to_wait(server: Server):
    with Client(server.url) as guesser:
        refusals: list[ApiError] = []
        for _ in range(12):
            try:
                guesser.login(TENANT, f"{TENANT}.nobody", "guess")
            except ApiError as refused:
                refusals.append(refused)
    assert all(isinstance(r, Unauthorized) for r in refusals[:10])
    limited = refusals[-1]
    assert isinstance(limited, RateLimited)
    assert limited.retry_after is not None and 0 < limited.retry_after <= 15 * 60
    assert guesser.token is None


def run_terminal_form(server: Server, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(TERMINAL_FORM), "--base-url", server.url, *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)


def reference_in(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(("เลขที่คำขอ:", "Reference:"))]
    assert len(lines) == 1, output
    return lines[0].split(":", 1)[1].strip()


def test_the_terminal_form_prints_the_form_submits_and_tracks(server: Server, api: Client, tmp_path: Path):
    # The answers of a valid example, with a photo named by its path: uploaded by the script.
    answers = json.loads(VALID.read_text())
    answers["complaint"]["photos"] = ["dogs.jpg"]
    (tmp_path / "dogs.jpg").write_bytes(TINY_JPEG)
    (tmp_path / "answers.json").write_text(json.dumps(answers, ensure_ascii=False))
    done = run_terminal_form(server, "complaint", "--answers", str(tmp_path / "answers.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for label in ("การระบุตัวตน", "ประเภทเรื่องร้องเรียน", "หัวเรื่อง", "ภาพถ่ายประกอบ (ถ้ามี)"):
        assert f"\n{label}" in out
    assert "ประเภทเรื่องร้องเรียน *" in out
    assert "1) ระบุชื่อและช่องทางติดต่อ" in out
    assert "→ ไม่ประสงค์ออกนาม" in out  # the answer shown as its choice's label
    assert "→ สุนัขหรือแมวจรจัด สัตว์ก่อความเดือดร้อน" in out
    assert "→ dogs.jpg" in out
    # The anonymous complainant skips the step about the complainant.
    assert "ข้อมูลผู้ร้องเรียน" not in out
    reference = reference_in(out)
    assert api.track(TENANT, reference, tracking_token=token_in(out))["status"] == "received"
    assert "(received)" in out
    with Client(server.url) as desk:
        desk.login(TENANT, OFFICER, DEMO_PASSWORD)
        photos = desk.track(TENANT, reference)["data"]["complaint"]["photos"]
    assert [(photo["filename"], photo["content_type"]) for photo in photos] == [("dogs.jpg", "image/jpeg")]


def test_the_terminal_form_in_english_names_wrong_answers(server: Server):
    done = run_terminal_form(server, "complaint", "--lang", "en", "--answers", str(INVALID))
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout
    assert "Your identity" in out
    assert "About you" in out and "Phone number *" in out  # required once the complainant gives a name
    assert "Phone number (/complainant/phone): Enter your phone number, or choose to stay anonymous" in out


def test_the_terminal_form_asks_on_stdin(server: Server, api: Client):
    # Anonymous, stray animals, title, description, date, no outcome, a pin, the place, no photos.
    answers = [
        "2",
        "6",
        "สุนัขจรจัดหน้าตลาด",
        "มีสุนัขจรจัดหลายตัวไล่กัดคนที่เดินผ่านหน้าตลาดทุกเช้า",
        "2025-02-20",
        "",
        "18.7489, 98.9502",
        "หน้าตลาดแม่เหียะ",
        "",
    ]
    command = [sys.executable, str(TERMINAL_FORM), "--base-url", server.url, "complaint"]
    done = subprocess.run(
        command, input="\n".join(answers) + "\n", capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    reference = reference_in(done.stdout)
    assert api.track(TENANT, reference, tracking_token=token_in(done.stdout))["status"] == "received"


def token_in(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("รหัสติดตาม")).split(": ", 1)[1]
