"""The Python client and the terminal form example against a served, seeded instance.

What a program built on ``thongthin_client`` does: read the catalog and a municipality's services,
read a definition once and then only revalidate it (304), submit and track, be told which answers
are wrong in Thai and English, work the inbox as an officer and move an application on, and get
typed errors for what does not exist. Then the rest of the API: an application taken through a
draft step by step (a wrong step refused in Thai) and submitted once however often it is sent, its
documents and files, a fee account's bills and QR codes, the dashboard, a webhook whose test
delivery a receiver on this machine checks with the client's signature check, and an API key made,
used and revoked.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from thongthin_client import (
    ApiError,
    Client,
    Conflict,
    Forbidden,
    InboxItem,
    InvalidSignature,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
    verify_webhook_signature,
)

from tests.conftest import EXAMPLES
from tests.e2e.test_serve import SEED, TENANT, THONGTHIN, clean_environ, free_port, stop, wait_listening
from tests.prepared import migrated_data
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
    environ: dict[str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("client")
    # The test's webhook receiver listens on 127.0.0.1, an address subscriptions may not use by default.
    environ = clean_environ(
        THONGTHIN_DATA=str(migrated_data(tmp_path_factory, folder / "data")),
        SECRET_KEY="test-client-secret",
        THONGTHIN_WEBHOOKS_ALLOW_PRIVATE="1",
    )
    done = subprocess.run(
        [sys.executable, "-c", SEED], env=environ, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    port = free_port()
    log = folder / "server.log"
    command = [THONGTHIN, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=environ, stdout=sink, stderr=sink, start_new_session=True)
    try:
        wait_listening(process, port, log)
        yield Server(f"http://127.0.0.1:{port}", log, environ)
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


# Stray animals, title, description, date, no outcome, a pin, the place, no photos.
STRAY_DOGS = [
    "6",
    "สุนัขจรจัดหน้าตลาด",
    "มีสุนัขจรจัดหลายตัวไล่กัดคนที่เดินผ่านหน้าตลาดทุกเช้า",
    "2025-02-20",
    "",
    "18.7489, 98.9502",
    "หน้าตลาดแม่เหียะ",
    "",
]


def typed_into_terminal_form(server: Server, answers: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(TERMINAL_FORM), "--base-url", server.url, "complaint"]
    return subprocess.run(
        command, input="\n".join(answers) + "\n", capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_the_terminal_form_asks_on_stdin(server: Server, api: Client):
    done = typed_into_terminal_form(server, ["2", *STRAY_DOGS])  # anonymous
    assert done.returncode == 0, done.stdout + done.stderr
    reference = reference_in(done.stdout)
    assert api.track(TENANT, reference, tracking_token=token_in(done.stdout))["status"] == "received"


def test_the_terminal_form_asks_a_refused_step_again_with_the_portals_message(server: Server, api: Client):
    no_address = [""] * 9  # the contact address is optional: each of its parts left blank
    about_me = ["1", "สมชาย", "ใจดี"]  # นาย, first and last name
    answers = [
        "1",  # named
        *about_me,
        "12345",  # no phone number: the step is refused when saved
        "",  # no national ID
        *no_address,
        *about_me,
        "0812345678",
        "",
        *no_address,
        *STRAY_DOGS,
    ]
    done = typed_into_terminal_form(server, answers)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "ยังบันทึกขั้นตอนนี้ไม่ได้ กรุณาแก้ไขแล้วกรอกขั้นตอนนี้อีกครั้ง:" in out
    assert "หมายเลขโทรศัพท์ (/complainant/phone): กรุณากรอกหมายเลขโทรศัพท์ เช่น 0812345678" in out
    assert out.count("\nหมายเลขโทรศัพท์ *") == 2, "the step is asked again"
    assert "    บ้านเลขที่ *" not in out and "    บ้านเลขที่\n" in out, "the optional address, part by part"
    assert "== ขั้นตอนที่ 2/6: ข้อมูลผู้ร้องเรียน ==" in out, "the server counts the steps the answers call for"
    reference = reference_in(out)
    with Client(server.url) as desk:
        desk.login(TENANT, OFFICER, DEMO_PASSWORD)
        assert desk.track(TENANT, reference)["data"]["complainant"]["phone"] == "0812345678"
    assert "ยื่นคำขอ → " in out, "the history is told in the pages' words"


def token_in(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("รหัสติดตาม")).split(": ", 1)[1]


# The rest of the API ------------------------------------------------------------------------------

NAMED = EXAMPLES / "complaint" / "valid-road-damage-named.json"
ADMIN = f"{TENANT}.admin"
NO_ANSWER: Any = object()


def at(data: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        if not isinstance(data, dict) or part not in data:
            return NO_ANSWER
        data = data[part]
    return data


def put_at(data: dict[str, Any], pointer: str, value: Any) -> None:
    *path, name = pointer.strip("/").split("/")
    for part in path:
        data = data.setdefault(part, {})
    data[name] = value


def step_answers(api: Client, step_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the form's step ``step_id`` asks, answered from ``data``; its photos uploaded first."""
    document = api.service(TENANT, "complaint")
    step = next(s for s in document["ui"]["steps"] if s["id"] == step_id)
    answers: dict[str, Any] = {}
    for field in step["fields"]:
        value = at(data, field["pointer"])
        if field["widget"] == "file":
            attachment = field.get("attachment") or ""
            value = [api.upload(TENANT, "complaint", attachment, "หลุม.jpg", TINY_JPEG, "image/jpeg")]
        if value is not NO_ANSWER:
            put_at(answers, field["pointer"], value)
    return answers


@pytest.fixture
def admin(server: Server) -> Iterator[Client]:
    with Client(server.url) as client:
        client.login(TENANT, ADMIN, DEMO_PASSWORD)
        yield client


def test_a_draft_step_by_step_a_wrong_step_refused_in_thai_resumed_and_submitted_once(
    server: Server, api: Client
):
    data = json.loads(NAMED.read_text())
    draft = api.create_draft(TENANT, "complaint")
    secret = draft["secret"]
    assert draft["next_step"] == "identity_choice" and not draft["ready"] and draft["answers"] == {}
    seen_steps: list[str] = []
    # Every step the form asks given the answers so far, in order (the optional photos too).
    while step_id := next((s["id"] for s in draft["steps"] if s["id"] not in seen_steps), None):
        assert draft["next_step"] in (step_id, None)
        answers = step_answers(api, step_id, data)
        if step_id == "complainant":
            # A named complainant without a phone number: refused, field by field, nothing stored.
            without_phone = json.loads(json.dumps(answers))
            del without_phone["complainant"]["phone"]
            with pytest.raises(ValidationFailed) as refused:
                api.save_step(TENANT, "complaint", draft["id"], step_id, without_phone)
            error = refused.value
            assert (error.status, error.code, error.step_id) == (422, "invalid_step", "complainant")
            phone = [e for e in error.errors if e.pointer == "/complainant/phone"]
            assert phone and phone[0].message_th == (
                "กรุณากรอกหมายเลขโทรศัพท์ หรือเลือกร้องเรียนแบบไม่ประสงค์ออกนาม"
            ), error.errors
            assert phone[0].message_en == "Enter your phone number, or choose to stay anonymous"
            assert "name" not in api.draft(TENANT, "complaint", draft["id"])["answers"]["complainant"]
        saved = api.save_step(TENANT, "complaint", draft["id"], step_id, answers)
        assert saved["saved_step"] == step_id and saved["errors"] == []
        draft = saved
        seen_steps.append(step_id)
    assert seen_steps == ["identity_choice", "complainant", "category", "details", "location", "photos"]
    assert draft["ready"] and all(step["complete"] for step in draft["steps"])

    # Resumed on another device with the secret: the same answers and check-your-answers summary.
    with Client(server.url) as phone:
        with pytest.raises(NotFound):
            phone.resume_draft(TENANT, "complaint", draft["id"], "not-the-secret")
        resumed = phone.resume_draft(TENANT, "complaint", draft["id"], secret)
        assert resumed["answers"] == draft["answers"] and resumed["summary"] == draft["summary"]
        titles = [step["title"]["th"] for step in resumed["summary"]]
        assert len(titles) == len(seen_steps) and all(titles)
        key = str(uuid.uuid4())
        receipt = phone.submit_draft(TENANT, "complaint", draft["id"], idempotency_key=key)
    assert receipt.status == "received" and not receipt.replayed
    # The app resends it (its answer was lost): the first receipt again, nothing filed twice.
    again = api.submit_draft(TENANT, "complaint", draft["id"], secret=secret, idempotency_key=key)
    assert (again.reference, again.tracking_token, again.replayed) == (
        receipt.reference,
        receipt.tracking_token,
        True,
    )
    # The draft is gone once submitted.
    with pytest.raises(NotFound):
        api.draft(TENANT, "complaint", draft["id"], secret=secret)
    tracked = api.track(TENANT, receipt.reference, tracking_token=receipt.tracking_token)
    assert tracked["status"] == "received"

    # Its signed documents: none issued for a complaint yet; one that is not its own is not found.
    assert api.documents(TENANT, receipt.reference, tracking_token=receipt.tracking_token) == []
    with pytest.raises(NotFound) as no_document:
        api.document_pdf(TENANT, receipt.reference, "d7Kq2mXa9pLr", tracking_token=receipt.tracking_token)
    assert no_document.value.code == "document_not_found"

    # The officer lists the application's photo and downloads it as uploaded.
    with Client(server.url) as desk:
        desk.login(TENANT, OFFICER, DEMO_PASSWORD)
        assert desk.documents(TENANT, receipt.reference) == []
        [photo] = desk.attachments(TENANT, receipt.reference)
        content = desk.attachment_content(TENANT, receipt.reference, photo["id"])
        assert photo["filename"] == "หลุม.jpg" and photo["content_type"] == "image/jpeg"
        assert len(content) == photo["size"] and hashlib.sha256(content).hexdigest() == photo["sha256"]
        assert photo["download_url"].endswith(f"/attachments/{photo['id']}")
        with pytest.raises(NotFound):
            desk.attachment_content(TENANT, receipt.reference, "att_no_such_file")
    # Not for its applicant: the files are the officers' (a tracking token opens no file list).
    with pytest.raises(Unauthorized):
        api.attachments(TENANT, receipt.reference)


def test_a_draft_given_up_is_discarded_with_its_secret(api: Client):
    draft = api.create_draft(TENANT, "complaint")
    api.save_step(TENANT, "complaint", draft["id"], "identity_choice", {"complainant": {"anonymous": True}})
    with Client(str(api.http.base_url)) as stranger:
        with pytest.raises(Unauthorized) as no_secret:
            stranger.draft(TENANT, "complaint", draft["id"])
        assert no_secret.value.code == "draft_secret_missing"
    api.discard_draft(TENANT, "complaint", draft["id"])
    with pytest.raises(NotFound):
        api.draft(TENANT, "complaint", draft["id"], secret=draft["secret"])


def test_a_fee_accounts_bills_with_their_thai_qr(api: Client):
    bills = api.bills(TENANT, "gb-000008")  # any spelling of the number
    assert bills["account"]["number"] == "GB-000008"
    assert bills["account"]["holder"].endswith("…"), "the holder is masked, as on the portal"
    assert bills["unpaid"], "the demo's last two households have not paid"
    for bill in bills["unpaid"]:
        assert bill["ref1"] in bill["qr_payload"] and bill["status"] in ("unpaid", "partial")
        png = api.bill_qr_png(TENANT, "GB-000008", bill["period"])
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert code.text == bill["qr_payload"]
    everything = api.bill_qr_png(TENANT, "GB-000008")
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(everything)))
    assert code.text == bills["arrears_qr_payload"]
    with pytest.raises(NotFound) as nothing_owed:
        api.bill_qr_png(TENANT, "GB-000008", "2500-01")
    assert nothing_owed.value.code == "bill_not_found"

    # A household that paid: its bill is listed paid; its receipt needs the registered phone number.
    paid = api.bills(TENANT, "GB-000001")["paid"]
    assert paid and paid[0]["status"] == "paid" and "receipt" not in paid[0]
    with pytest.raises(Forbidden) as wrong_phone:
        api.bills(TENANT, "GB-000001", phone="0899999999")
    assert wrong_phone.value.code == "account_phone_wrong"
    assert wrong_phone.value.message_th == "หมายเลขโทรศัพท์ไม่ตรงกับที่ลงทะเบียนไว้ ตรวจสอบแล้วลองอีกครั้ง"
    with pytest.raises(Forbidden):
        api.receipt_pdf(TENANT, "GB-000001", "d7Kq2mXa9pLr", "0899999999")
    with pytest.raises(NotFound) as no_account:
        api.bills(TENANT, "GB-999999")
    assert no_account.value.code == "account_not_found"


def test_the_dashboard_counts_what_was_received(api: Client, admin: Client):
    before = admin.dashboard(TENANT)
    api.submit(TENANT, "complaint", json.loads(VALID.read_text()))
    after = admin.dashboard(TENANT)
    assert after["total"] == before["total"] + 1 and after["open"] == before["open"] + 1
    complaints = next(s for s in after["services"] if s["service_id"] == "complaint")
    assert complaints["title"] is not None and complaints["title"]["th"] == "แจ้งเรื่องร้องเรียน/ร้องทุกข์"
    assert sum(state["count"] for state in complaints["by_state"]) == complaints["total"]
    with pytest.raises(Unauthorized):
        api.dashboard(TENANT)


class Receiver:
    """An HTTP server on this machine that keeps each POST it is sent (headers and raw body)."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        keep = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                keep.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/thongthin-events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def run_worker_until(server: Server, done: Callable[[], bool], rounds: int = 10) -> None:
    """The platform's worker, one round at a time (it delivers webhooks), until ``done``."""
    for _ in range(rounds):
        ran = subprocess.run(
            [THONGTHIN, "worker", "--once"], env=server.environ, capture_output=True, text=True, timeout=120
        )
        assert ran.returncode == 0, ran.stderr
        if done():
            return
        time.sleep(0.5)
    raise AssertionError("the worker never delivered")


def test_a_webhooks_test_delivery_is_verified_by_its_receiver(server: Server, admin: Client):
    with Receiver() as receiver:
        made = admin.create_webhook(TENANT, receiver.url, ["submission.created"], services=["complaint"])
        secret = made["secret"]
        assert secret.startswith("whsec_") and made["active"] and made["services"] == ["complaint"]
        listed = {hook["id"]: hook for hook in admin.webhooks(TENANT)}
        assert "secret" not in listed[made["id"]] and listed[made["id"]]["url"] == receiver.url
        one = admin.webhook(TENANT, made["id"])
        assert one == listed[made["id"]]
        assert admin.webhook_deliveries(TENANT, made["id"]) == []

        event_id = admin.send_webhook_test(TENANT, made["id"])
        run_worker_until(server, lambda: bool(receiver.got))
    [(headers, body)] = receiver.got
    event = verify_webhook_signature(secret, headers, body)
    assert (event["id"], event["type"], event["tenant"]) == (event_id, "webhook.test", TENANT)
    # Another subscription's secret, or the body changed on the way, is not the platform's.
    with pytest.raises(InvalidSignature):
        verify_webhook_signature("whsec_someone-else", headers, body)
    with pytest.raises(InvalidSignature):
        verify_webhook_signature(secret, headers, body.replace(TENANT.encode(), b"suthep"))
    [delivery] = admin.webhook_deliveries(TENANT, made["id"])
    assert (delivery["event_id"], delivery["status_code"], delivery["delivered"]) == (event_id, 204, True)

    admin.delete_webhook(TENANT, made["id"])
    with pytest.raises(NotFound) as gone:
        admin.webhook(TENANT, made["id"])
    assert gone.value.code == "webhook_not_found"
    with Client(server.url) as officer:
        officer.login(TENANT, OFFICER, DEMO_PASSWORD)
        with pytest.raises(Forbidden):
            officer.webhooks(TENANT)


def test_an_api_key_made_used_and_revoked(server: Server, api: Client, admin: Client):
    receipt = api.submit(TENANT, "complaint", json.loads(VALID.read_text()))
    made = admin.create_api_key(TENANT, "ระบบสารบรรณจังหวัด", ["inbox:read", "submissions:read"])
    assert made["secret"].startswith("ttk_") and made["secret"].startswith(made["prefix"])
    listed = {key["id"]: key for key in admin.api_keys(TENANT)}
    assert "secret" not in listed[made["id"]] and listed[made["id"]]["revoked_at"] is None
    with Client(server.url, token=made["secret"]) as machine:
        references = {item.reference for item in machine.inbox(TENANT, service="complaint")}
        assert receipt.reference in references
        assert machine.track(TENANT, receipt.reference)["data"]["complaint"]["category"] == "stray_animals"
        assert machine.attachments(TENANT, receipt.reference) == []
        with pytest.raises(Forbidden) as no_scope:
            machine.transition(TENANT, receipt.reference, "assign", {"department": "public_health"})
        assert no_scope.value.code == "insufficient_scope"
        with pytest.raises(Forbidden):
            machine.api_keys(TENANT)  # keys never manage keys
        assert admin.api_keys(TENANT)[0]["last_used_at"] is not None
        revoked = admin.revoke_api_key(TENANT, made["id"])
        assert revoked["revoked_at"] is not None
        with pytest.raises(Unauthorized):
            machine.inbox_page(TENANT)
