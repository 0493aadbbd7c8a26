"""Uploads: nothing is kept that no application took, one address cannot fill the store,
names say what a file is, and a file belongs to one application only."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.exceptions import IntegrityError

from engine.services import drafts, tenants
from engine.services.uploads import ORPHAN_LIFETIME
from engine.store.models import Attachment, Draft
from tests.conftest import example_files, read
from tests.integration.test_api import Municipality, make_municipality
from tests.unit.test_image_headers import png_declaring
from tests.uploads import TINY_PDF, TINY_PNG, with_uploaded_files
from thongthin.runners import housekeeping_for


@pytest.fixture(scope="module")
def town(app: Any, platform: Any) -> Municipality:
    return make_municipality(platform, app.test_client())


def _photo_url(platform: Any, town: Municipality) -> str:
    definition = platform.catalog.get("building-permit")
    spec = next(a for a in definition.service.form_attachments() if "image/png" in a.accept)
    return f"/api/v1/tenants/{town.slug}/services/building-permit/attachments/{spec.id}"


def _upload(client: Any, url: str, content: bytes, name: str, address: str = "127.0.0.1") -> Any:
    return client.post(
        url,
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_stored_name_says_what_the_file_is(client: Any, platform: Any, town: Municipality):
    sent = _upload(client, _photo_url(platform, town), TINY_PNG, "receipt\u202egnp.html")
    assert sent.status_code == 201, sent.json
    assert sent.json["filename"] == "receiptgnp.png"
    assert sent.json["content_type"] == "image/png"


def test_a_decompression_bomb_is_refused_and_not_stored(client: Any, platform: Any, town: Municipality):
    before = platform.db(Attachment.all().count())
    refused = _upload(client, _photo_url(platform, town), png_declaring(100_000, 100_000), "bomb.png")
    assert refused.status_code == 422
    assert refused.json["code"] == "upload_too_many_pixels"
    assert "ล้านจุด" in refused.json["message_th"]
    assert platform.db(Attachment.all().count()) == before


def test_one_address_has_an_hourly_quota(client: Any, platform: Any, town: Municipality):
    from engine.services import throttle

    url = _photo_url(platform, town)
    crowd = "198.51.100.23"
    statuses = [
        _upload(client, url, TINY_PNG, "p.png", crowd).status_code for _ in range(throttle.UPLOAD_FILES.tries)
    ]
    assert statuses == [201] * throttle.UPLOAD_FILES.tries
    stored = platform.db(Attachment.all().count())
    refused = _upload(client, url, TINY_PNG, "p.png", crowd)
    assert refused.status_code == 429
    assert refused.json["code"] == "too_many_uploads" and refused.json["message_th"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert platform.db(Attachment.all().count()) == stored  # nothing stored past the quota
    # Someone else, elsewhere, still uploads.
    assert _upload(client, url, TINY_PNG, "p.png", "192.0.2.80").status_code == 201


def test_the_worker_deletes_uploads_no_application_took(client: Any, platform: Any, town: Municipality):
    url = _photo_url(platform, town)
    orphans = [_upload(client, url, TINY_PNG, f"o{i}.png").json["id"] for i in range(3)]
    tenant = platform.db(tenants.get_tenant(town.slug))
    definition = platform.catalog.get("building-permit")

    async def in_a_draft() -> str:
        from engine.services import uploads

        _, draft = await drafts.create(tenant, definition)
        described = await uploads.upload(
            tenant,
            definition,
            definition.service.form_attachments()[0].id,
            TINY_PDF,
            "a.pdf",
            blobs=platform.blobs,
            draft=draft,
        )
        return described["id"]

    drafted = platform.db(in_a_draft())
    submitted_data = with_uploaded_files(
        client, town.slug, definition, read(example_files("building-permit", "valid")[0])
    )
    response = client.post(
        f"/api/v1/tenants/{town.slug}/services/building-permit/submissions", json=submitted_data
    )
    assert response.status_code == 201, response.json
    rows = {a.id: a for a in platform.db(Attachment.filter(id__in=[*orphans, drafted]))}
    keys = {i: rows[i].blob_key for i in orphans}

    # Within the lifetime nothing goes; after it, the worker's clean-up takes the orphans only.
    # (Uploads that earlier tests on this platform left more than minutes ago may go already.)
    soon = datetime.now(UTC) + ORPHAN_LIFETIME - timedelta(minutes=5)
    platform.db(housekeeping_for(platform).run_due(now=soon))
    kept = set(platform.db(Attachment.filter(id__in=[*orphans, drafted]).values_list("id", flat=True)))
    assert kept == {*orphans, drafted}
    assert all(platform.blobs.exists(key) for key in keys.values())
    later = datetime.now(UTC) + ORPHAN_LIFETIME + timedelta(minutes=5)
    done = platform.db(housekeeping_for(platform).run_due(now=later))
    assert done["orphan_uploads"] >= 3
    left = set(platform.db(Attachment.filter(id__in=[*orphans, drafted]).values_list("id", flat=True)))
    assert left == {drafted}
    assert not any(platform.blobs.exists(key) for key in keys.values())
    assert platform.blobs.exists(rows[drafted].blob_key)
    reference = response.json["reference"]
    owned = platform.db(Attachment.filter(submission__reference=reference).count())
    assert owned > 0  # the submitted application keeps its files


def test_one_file_goes_to_one_application_under_concurrency(app: Any, platform: Any, town: Municipality):
    definition = platform.catalog.get("building-permit")
    data = with_uploaded_files(
        app.test_client(), town.slug, definition, read(example_files("building-permit", "valid")[0])
    )
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def citizen() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/tenants/{town.slug}/services/building-permit/submissions", json=data)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=citizen) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201, 422, 422, 422]


def test_a_page_of_answers_and_its_files_are_saved_together_or_not_at_all(platform: Any, town: Municipality):
    from engine.services import uploads

    tenant = platform.db(tenants.get_tenant(town.slug))
    definition = platform.catalog.get("building-permit")
    attachment = definition.service.form_attachments()[0]

    async def page(files: int) -> tuple[Any, list[Any]]:
        _, draft = await drafts.create(tenant, definition)
        stored = [
            await uploads.store(tenant, definition, attachment.id, TINY_PDF, f"{i}.pdf", blobs=platform.blobs)
            for i in range(files)
        ]
        return draft, stored

    draft, stored = platform.db(page(2))
    answers = {"files": [s.description() for s in stored]}
    platform.db(drafts.save(draft, answers, "attachments", uploads=stored, blobs=platform.blobs))
    rows = platform.db(Attachment.filter(id__in=[s.id for s in stored]))
    assert {r.draft_id for r in rows} == {draft.id} and len(rows) == 2

    # A second page whose save fails (one of its files collides with a recorded one) keeps
    # neither its answers nor its new file, and the new file's bytes are gone.
    fresh, [new] = platform.db(page(1))
    clashing = uploads.StoredUpload(**{**stored[0].__dict__, "blob_key": new.blob_key})
    with pytest.raises(IntegrityError):
        platform.db(
            drafts.save(fresh, {"files": ["x"]}, "attachments", uploads=[new, clashing], blobs=platform.blobs)
        )
    assert not platform.db(Attachment.filter(id=new.id).exists())
    assert not platform.blobs.exists(new.blob_key)
    reread = platform.db(Draft.get(id=fresh.id))
    assert reread.data != {"files": ["x"]}
