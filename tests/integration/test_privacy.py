"""Need to know and the access log: officers open only the work of their roles, and every look
at a citizen's data is recorded in a chain nobody can quietly change."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from engine.services import access_log, privacy
from engine.store.models import AccessLogEntry, Submission
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the real CSRF checks, as in the console's own tests)
    make_town,
    officer_client,
    post_form,
    submit_food,
    text_of,
)
from thongthin.demo import DEMO_PASSWORD

NATIONAL_ID = "3100601234565"  # the noodle shop's owner in the example


@pytest.fixture(scope="module")
def town(platform: Any) -> Town:
    return make_town(
        platform,
        roles=["admin", "clerk", "complaint_officer", "records", "privacy_officer", "social_worker"],
        prefix="PV",
    )


def test_the_catalog_says_who_works_on_what(platform: Any):
    food = platform.catalog.get("food-premises-notification")
    roles = platform.catalog.roles
    assert privacy.sees_service(food, {"sanitarian"}, roles)
    assert privacy.sees_service(food, {"records"}, roles) and privacy.sees_service(food, {"admin"}, roles)
    assert not privacy.sees_service(food, {"complaint_officer"}, roles)
    assert not privacy.sees_service(food, {"privacy_officer"}, roles)


def test_an_officer_without_work_in_the_service_finds_nothing(app: Any, platform: Any, town: Town):
    reference, files = submit_food(platform, town)
    outsider = officer_client(app, town, "complaint_officer")
    for url in (f"/{town.slug}/admin/submissions/{reference}", f"/{town.slug}/admin/attachments/{files[0]}"):
        assert outsider.get(url).status_code == 404, url
    assert reference not in text_of(outsider.get(f"/{town.slug}/admin/"))
    token = (
        app.test_client()
        .post(
            "/api/v1/auth/token",
            json={
                "tenant": town.slug,
                "username": town.users["complaint_officer"],
                "password": DEMO_PASSWORD,
            },
        )
        .json["token"]
    )
    api = app.test_client().get(
        f"/api/v1/tenants/{town.slug}/submissions/{reference}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 404
    # Those with work in it, and the records officer, open it.
    for role in ("clerk", "records", "admin"):
        client = officer_client(app, town, role)
        assert client.get(f"/{town.slug}/admin/submissions/{reference}").status_code == 200, role
        assert client.get(f"/{town.slug}/admin/attachments/{files[0]}").status_code == 200, role


def test_every_look_is_recorded_and_the_privacy_officer_sees_who_looked(app: Any, platform: Any, town: Town):
    reference, files = submit_food(platform, town)
    clerk = officer_client(app, town, "clerk")
    clerk.get(f"/{town.slug}/admin/submissions/{reference}")
    clerk.get(f"/{town.slug}/admin/attachments/{files[0]}")
    entries = platform.db(
        AccessLogEntry.filter(tenant_id=town.tenant.id, reference=reference).order_by("seq")
    )
    assert [e.action for e in entries] == [access_log.VIEW, access_log.ATTACHMENT]
    assert all(town.users["clerk"] in e.actor_label for e in entries)
    assert entries[0].subject_hashes == [access_log.subject_hash(NATIONAL_ID)]
    assert platform.db(access_log.verify(town.tenant)).entries >= 2

    officer = officer_client(app, town, "privacy_officer")
    url = f"/{town.slug}/admin/console/privacy"
    wrong = post_form(officer, url, {"national_id": "1234567890123"})
    assert wrong.status_code == 422
    found = post_form(officer, url, {"national_id": "3-1006-01234-56-5"})
    page = text_of(found)
    assert found.status_code == 200 and reference in page
    assert "เปิดดูคำขอ" in page and "ดาวน์โหลดเอกสารแนบ" in page and town.users["clerk"] in page
    # Other officers have no such page.
    assert officer_client(app, town, "clerk").get(url).status_code == 403


def test_a_changed_entry_breaks_the_chain(platform: Any):
    changed_town = make_town(platform, roles=["clerk"], prefix="PX")
    reference, _ = submit_food(platform, changed_town)
    submission = platform.db(Submission.get(tenant_id=changed_town.tenant.id, reference=reference))
    for _ in range(3):
        platform.db(access_log.record(submission, None, access_log.VIEW))
    assert platform.db(access_log.verify(changed_town.tenant)).entries == 3
    platform.db(
        AccessLogEntry.filter(tenant_id=changed_town.tenant.id, seq=2).update(actor_label="someone else")
    )
    with pytest.raises(access_log.ChainBroken) as broken:
        platform.db(access_log.verify(changed_town.tenant))
    assert broken.value.seq == 2


def test_concurrent_looks_never_fork_the_chain(platform: Any):
    busy = make_town(platform, roles=["clerk"], prefix="PY")
    reference, _ = submit_food(platform, busy)
    submission = platform.db(Submission.get(tenant_id=busy.tenant.id, reference=reference))
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def officer() -> None:
        barrier.wait()
        for _ in range(5):
            try:
                platform.db(access_log.record(submission, None, access_log.VIEW, channel="api"))
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=officer) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    verified = platform.db(access_log.verify(busy.tenant))
    assert verified.entries == 100


def _close_long_ago(platform: Any, town: Town, reference: str, years: int) -> None:
    from datetime import UTC, datetime, timedelta

    platform.db(
        Submission.filter(tenant_id=town.tenant.id, reference=reference).update(
            closed=True,
            state="accepted",
            state_entered_at=datetime.now(UTC) - timedelta(days=365 * years + 30),
        )
    )


def test_the_worker_anonymises_closed_applications_past_retention(platform: Any, town: Town):
    from engine.store.models import Attachment
    from thongthin.runners import housekeeping_for

    old, old_files = submit_food(platform, town)
    recent, _ = submit_food(platform, town)
    _close_long_ago(platform, town, old, 11)  # food premises: kept ten years
    _close_long_ago(platform, town, recent, 2)
    keys = platform.db(Attachment.filter(id__in=old_files).values_list("blob_key", flat=True))
    done = platform.db(housekeeping_for(platform).run_due())
    assert done["retention"] >= 1
    gone = platform.db(Submission.get(tenant_id=town.tenant.id, reference=old))
    assert gone.data == {} and gone.anonymised_at is not None and gone.contact_hashes == []
    assert gone.reference == old and gone.service_id == "food-premises-notification"  # the register stays
    assert not platform.db(Attachment.filter(id__in=old_files).exists())
    assert not any(platform.blobs.exists(key) for key in keys)
    kept = platform.db(Submission.get(tenant_id=town.tenant.id, reference=recent))
    assert kept.data and kept.anonymised_at is None


def test_the_data_protection_officer_exports_and_erases(app: Any, platform: Any):
    import io
    import json
    import zipfile

    place = make_town(platform, roles=["privacy_officer"], prefix="PZ")
    open_one, files = submit_food(platform, place)
    closed_one, _ = submit_food(platform, place)
    _close_long_ago(platform, place, closed_one, 11)
    officer = officer_client(app, place, "privacy_officer")
    page = f"/{place.slug}/admin/console/privacy"
    exported = post_form(
        officer, f"/{place.slug}/admin/console/privacy/export", {"national_id": NATIONAL_ID}, page=page
    )
    assert exported.status_code == 200 and exported.headers["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(exported.data))
    listed = json.loads(archive.read("applications.json"))["applications"]
    assert {a["reference"] for a in listed} == {open_one, closed_one}
    assert all(a["data"]["operator"]["national_id"] == NATIONAL_ID for a in listed)
    assert any(name.startswith(f"{open_one}/{files[0]}") for name in archive.namelist())

    # The first press only lists what would go: an erasure cannot be undone.
    erase_url = f"/{place.slug}/admin/console/privacy/erase"
    asked = post_form(officer, erase_url, {"national_id": NATIONAL_ID}, page=page)
    text = text_of(asked)
    assert asked.status_code == 200 and "ยืนยันการลบข้อมูลส่วนบุคคล" in text
    assert f"<li>{closed_one}</li>" in text and f"คำขอเลขที่ {open_one} ยังอยู่ระหว่างดำเนินการ" in text
    assert 'name="confirmed" value="yes"' in text
    assert platform.db(Submission.get(tenant_id=place.tenant.id, reference=closed_one)).data, (
        "nothing erased yet"
    )

    erased = post_form(officer, erase_url, {"national_id": NATIONAL_ID, "confirmed": "yes"}, page=page)
    text = text_of(erased)
    assert erased.status_code == 200
    assert "ลบข้อมูลส่วนบุคคลในคำขอที่พ้นระยะเวลาการเก็บรักษาแล้ว 1 รายการ" in text
    assert f"คำขอเลขที่ {open_one} ยังอยู่ระหว่างดำเนินการ" in text
    assert platform.db(Submission.get(tenant_id=place.tenant.id, reference=closed_one)).data == {}
    from engine.store.models import DataRequest

    kinds = platform.db(
        DataRequest.filter(tenant_id=place.tenant.id).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["export", "erase"], "a preview is no data request"
    # Asked again, nothing is left to erase, and the page offers no button to confirm.
    again = text_of(post_form(officer, erase_url, {"national_id": NATIONAL_ID}, page=page))
    assert "ยังไม่มีข้อมูลที่ลบได้" in again and 'name="confirmed"' not in again
