"""Issued documents end to end: a walked submission's certificate is rendered, signed, stored, verifiable.

The effect runs from the durable queue after the transition committed; a worker dying
mid-job neither loses the document nor issues it twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.services import accounts, submissions, tenants
from engine.services.effects import LEASE, run_pending
from engine.store.models import EffectJob, IssuedDocument, Submission
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from signing.verify import verify_pdf
from tests.conftest import example_files, read
from tests.uploads import with_stored_files
from tests.walks import first_input, passable, paths_to
from thongthin.runners import runners_for

SERVICE = "food-premises-notification"


@pytest.fixture(scope="module")
def town(platform: Any) -> dict[str, Any]:
    """A municipality with the food service, an officer per role, and signing keys in the platform's PKI."""
    slug = f"d{uuid.uuid4().hex[:8]}"
    definition = platform.catalog.get(SERVICE)

    async def setup() -> dict[str, Any]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="เทศบาลตำบลทดสอบเอกสาร",
            name_en="Document Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="DT",
            address_th="ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่",
        )
        await tenants.enable_service(tenant, definition)
        acting = {r for t in definition.workflow.transitions for r in t.roles}
        signing = {s.role for d in definition.service.documents for s in d.signers}
        roles = (acting | signing) - {"applicant", "system"}
        users = {
            role: await accounts.create_user(tenant, f"{slug}.{role}", "pw-" + slug, f"สมศรี {role}", [role])
            for role in roles
        }
        return {"tenant": tenant, "users": users}

    made = platform.db(setup())
    signers = [s for d in definition.service.documents for s in d.signers]
    officers = [
        Officer(slug, s.role, made["users"][s.role].display_name, "เทศบาลตำบลทดสอบเอกสาร") for s in signers
    ]
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield {**made, "pki": pki, "definition": definition}
    server.stop()


def approved_submission(platform: Any, town: dict[str, Any]) -> Submission:
    """A food-premises notification walked by its officers to the state that issues the certificate."""
    definition = town["definition"]
    final = next(
        s for s, state in definition.workflow.states.items() if state.final and state.outcome == "approved"
    )
    data = read(example_files(SERVICE, "valid")[0])
    path = next(p for p in paths_to(definition, final) if passable(p, data, {"payment": "none"}))
    assert any(e["type"] == "issue_document" for t in path for e in t.effects)

    async def walk() -> Submission:
        stored = await with_stored_files(platform, town["tenant"], definition, data)
        receipt = await submissions.submit(town["tenant"], definition, stored)
        for transition in path:
            for role in transition.roles:
                user = town["users"].get(role)
                result = await submissions.transition(
                    town["tenant"],
                    definition,
                    receipt.reference,
                    transition.action,
                    {role},
                    input=first_input(transition),
                    actor=user,
                )
                if result.fired:
                    break
        return await Submission.get(tenant=town["tenant"], reference=receipt.reference)

    return platform.db(walk())


def test_approval_issues_a_signed_verifiable_certificate(platform: Any, town: dict[str, Any], tmp_path: Path):
    submission = approved_submission(platform, town)
    assert platform.db(IssuedDocument.filter(submission=submission).count()) == 0, (
        "issued after commit, by the worker"
    )
    platform.db(run_pending(runners_for(platform), limit=10_000))
    [document] = platform.db(IssuedDocument.filter(submission=submission))
    assert document.status == "issued" and document.number.endswith("/25" + document.number[-2:])
    pdf = platform.blobs.get(document.blob_key)
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == document.sha256
    report = verify_pdf(pdf, town["pki"].trust_roots())
    assert report.status == "valid", report
    assert all(s.intact and s.trusted for s in report.signatures)
    first = report.signatures[0]
    assert first.certification and first.signing_time is not None and first.timestamp_trusted
    assert first.subfilter.endswith("ETSI.CAdES.detached")
    assert (
        [s.signer for s in report.signatures]
        and len(report.signatures) == len(town["definition"].service.document("certificate").signers)
        if town["definition"].service.document("certificate")
        else True
    )
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert document.number.split("/")[0] in text and document.holder.split()[-1] in text
    assert "ตรวจสอบ" in text, "the page tells where to verify it"
    # An independent validator agrees: poppler's pdfsig, trusting the development root only.
    from tests.signing_fixtures import pdfsig, trusting_nss_db

    database = trusting_nss_db(town["pki"].root_cert_path, tmp_path / "nss")
    independent = pdfsig(path, database)
    assert independent.count("Signature is Valid.") == len(report.signatures), independent
    assert "Certificate is Trusted." in independent
    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x01
    assert verify_pdf(bytes(tampered), town["pki"].trust_roots()).status != "valid"
    broken = tmp_path / "tampered.pdf"
    broken.write_bytes(bytes(tampered))
    assert (
        "Signature is Valid."
        not in pdfsig(broken, database).split("Signature #1")[-1].split("Signature #2")[0]
    )


class FailingBlobs:
    """The real store, except that storing fails (the disk filled up, S3 went away)."""

    def __init__(self, real: Any):
        self.real = real

    def put(self, key: str, data: bytes, content_type: str) -> None:
        raise OSError("no space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_failure_after_signing_neither_loses_nor_doubles_the_document(platform: Any, town: dict[str, Any]):
    submission = approved_submission(platform, town)
    real = platform.blobs
    platform.blobs = FailingBlobs(real)
    try:
        report = platform.db(run_pending(runners_for(platform), limit=10_000))
    finally:
        platform.blobs = real
    assert report.retried >= 1
    [reserved] = platform.db(IssuedDocument.filter(submission=submission))
    assert reserved.status == "reserved"
    later = datetime.now(UTC) + timedelta(hours=2)
    platform.db(run_pending(runners_for(platform), now=later, limit=10_000))
    [issued] = platform.db(IssuedDocument.filter(submission=submission))
    assert issued.id == reserved.id and issued.number == reserved.number and issued.status == "issued"
    assert platform.blobs.get(issued.blob_key)[:5] == b"%PDF-"


def test_killing_the_worker_mid_job(platform: Any, town: dict[str, Any], backend: str):
    if backend != "sqlite":
        pytest.skip("the worker subprocess reaches the blob store through the environment; covered on SQLite")
    submission = approved_submission(platform, town)
    env = {
        **os.environ,
        "DATABASE_URL": platform.settings.database_url,
        "THONGTHIN_DATA": str(platform.settings.data_dir),
        "SECRET_KEY": "test",
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "thongthin"), "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reserved = platform.db(IssuedDocument.filter(submission=submission, status="reserved").count())
            if reserved:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the worker never started issuing the document")
        worker.send_signal(signal.SIGKILL)  # mid-job: the number is reserved, the PDF not yet stored
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    [document] = platform.db(IssuedDocument.filter(submission=submission))
    job = platform.db(EffectJob.get(submission=submission, type="issue_document"))
    assert document.status == "reserved" and job.status == "running"
    # Nothing runs the job while the dead worker's lease lasts; afterwards another worker finishes it.
    platform.db(run_pending(runners_for(platform), limit=10_000))
    assert platform.db(IssuedDocument.get(id=document.id)).status == "reserved"
    assert platform.db(EffectJob.get(id=job.id)).status == "running"
    platform.db(
        run_pending(runners_for(platform), now=datetime.now(UTC) + LEASE + timedelta(seconds=5), limit=10_000)
    )
    [finished] = platform.db(IssuedDocument.filter(submission=submission))
    assert finished.id == document.id and finished.number == document.number and finished.status == "issued"
    assert platform.db(EffectJob.get(id=job.id)).status == "done"


def test_anyone_can_verify_a_document_through_the_api(client: Any, platform: Any, town: dict[str, Any]):
    submission = approved_submission(platform, town)
    platform.db(run_pending(runners_for(platform), limit=10_000))
    [document] = platform.db(IssuedDocument.filter(submission=submission))
    pdf = platform.blobs.get(document.blob_key)

    genuine = client.post("/api/v1/verify", data=pdf, content_type="application/pdf")
    assert genuine.status_code == 200
    assert genuine.json["genuine"] and genuine.json["in_register"]
    assert genuine.json["document"]["number"] == document.number
    assert genuine.json["document"]["issuer"]["slug"] == town["tenant"].slug
    assert genuine.json["verification"]["sha256"] == document.sha256

    tampered = bytearray(pdf)
    tampered[len(pdf) // 2] ^= 0x01
    changed = client.post("/api/v1/verify", data=bytes(tampered), content_type="application/pdf")
    assert changed.status_code == 200 and not changed.json["genuine"] and not changed.json["in_register"]
    assert changed.json["verification"]["status"] != "valid"

    # Validly signed with the municipality's key, but never issued by the platform.
    from signing.services import SignerSlot, load_profile, sign_document
    from tests.signing_fixtures import make_pdf

    profile = load_profile(platform.settings.data_dir, town["tenant"].slug)
    role = town["definition"].service.documents[0].signers[0].role
    forged = sign_document(
        make_pdf("Forged certificate"),
        profile,
        [SignerSlot(role, "ผู้ปลอม", "ไม่มี", (50, 50, 250, 110))],
        level="B-T",
    )
    outside = client.post(
        "/api/v1/verify",
        data={"file": (__import__("io").BytesIO(forged.data), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert outside.json["verification"]["status"] == "valid" and not outside.json["in_register"]
    assert not outside.json["genuine"]

    shown = client.get(f"/api/v1/documents/{document.public_id}")
    assert shown.status_code == 200 and shown.json["genuine"]
    assert shown.json["document"]["holder"] == document.holder
    assert client.get("/api/v1/documents/not-a-document").status_code == 404
    assert client.post("/api/v1/verify", data=b"", content_type="application/pdf").status_code == 400


def test_officers_download_the_issued_document_from_the_desk(
    client: Any, platform: Any, town: dict[str, Any]
):
    from tests.integration.test_admin import login

    submission = approved_submission(platform, town)
    platform.db(run_pending(runners_for(platform), limit=10_000))
    [document] = platform.db(IssuedDocument.filter(submission=submission))
    officer = town["users"]["public_health_officer"]
    from types import SimpleNamespace

    logged_in = login(
        client, SimpleNamespace(slug=town["tenant"].slug), officer.username, "pw-" + town["tenant"].slug
    )
    assert logged_in.status_code == 302
    page = client.get(f"/{town['tenant'].slug}/admin/submissions/{submission.reference}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert document.number in html and document.public_id in html
    download = client.get(f"/{town['tenant'].slug}/admin/documents/{document.public_id}")
    assert download.status_code == 200 and download.data == platform.blobs.get(document.blob_key)
    # The certificate carries a national ID: no cache along the way may keep it.
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.headers["Content-Type"] == "application/pdf"
    assert client.get(f"/{town['tenant'].slug}/admin/documents/not-{document.public_id}").status_code == 404


def test_citizens_download_and_anyone_verifies_on_the_portal(app: Any, platform: Any, town: dict[str, Any]):
    import re

    client = app.test_client()
    submission = approved_submission(platform, town)
    platform.db(run_pending(runners_for(platform), limit=10_000))
    [document] = platform.db(IssuedDocument.filter(submission=submission))
    slug = town["tenant"].slug
    # The applicant lost the link of the confirmation page: a fresh one arrives on their phone.
    from tests.integration.test_applicant_secret import fresh_link

    phone = read(example_files(SERVICE, "valid")[0])["operator"]["phone"]
    found = client.get(fresh_link(client, platform, town["tenant"], submission.reference, phone))
    assert found.status_code == 302
    status = client.get(found.headers["Location"]).get_data(as_text=True)
    assert document.number in status and f"/verify/{document.public_id}" in status
    download = client.get(f"/{slug}/track/{submission.reference}/documents/{document.public_id}")
    assert download.status_code == 200 and download.data == platform.blobs.get(document.blob_key)
    # The certificate carries a national ID: no cache along the way may keep it.
    assert download.headers["Cache-Control"] == "private, no-store"

    anyone = app.test_client()
    page = anyone.get(f"/verify/{document.public_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-verdict="genuine"' in html
    assert document.number in html and document.holder in html and document.sha256 in html
    assert town["tenant"].name_th in html
    form = anyone.get("/verify").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    import io

    pdf = platform.blobs.get(document.blob_key)
    checked = anyone.post(
        "/verify",
        data={"csrf_token": token, "file": (io.BytesIO(pdf), "c.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-verdict="genuine"' in checked.get_data(as_text=True)
    tampered = bytearray(pdf)
    tampered[len(pdf) // 2] ^= 0x01
    refused = anyone.post(
        "/verify",
        data={"csrf_token": token, "file": (io.BytesIO(bytes(tampered)), "c.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-verdict="not-genuine"' in refused.get_data(as_text=True)
    assert anyone.get("/verify/no-such-document").status_code == 404
    copy = anyone.get(f"/verify/{document.public_id}/document.pdf")
    assert copy.status_code == 200 and copy.headers["Cache-Control"] == "private, no-store"
    # Another applicant's tracking session cannot download this document.
    stranger = app.test_client()
    assert (
        stranger.get(f"/{slug}/track/{submission.reference}/documents/{document.public_id}").status_code
        == 302
    )
