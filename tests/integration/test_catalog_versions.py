"""Two published versions of one service side by side: work begun under 1.0.0 ends under 1.0.0.

The service is a copy of the general petition under an id of its own, so that publishing its
1.1.0 changes nothing for the other tests sharing the session's database.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest

from engine.definitions.bundle import ServiceBundle, read_bundle
from engine.definitions.diff import diff
from engine.services import accounts, catalog, submissions, tenants
from engine.services.errors import CatalogVersionConflict, DefinitionRefused, SubmissionInvalid
from engine.store.models import Draft, Submission
from tests.conftest import CATALOG, EXAMPLES, read
from tests.integration.test_admin import csrf_token
from tests.integration.test_portal import Citizen, csrf_on  # noqa: F401 (fixture)
from thongthin.platform import Platform

pytestmark = pytest.mark.db

PASSWORD = "Versions-are-kept-2569"


def petition_copy(service_id: str) -> ServiceBundle:
    problems: list[Any] = []
    bundle = read_bundle(CATALOG / "general-petition", problems, examples=EXAMPLES / "general-petition")
    assert bundle is not None and not problems
    documents = copy.deepcopy(bundle.documents)
    documents["service.json"]["id"] = service_id
    documents["service.json"]["version"] = "1.0.0"
    return ServiceBundle(documents=documents, files=dict(bundle.files))


def with_urgency(bundle: ServiceBundle) -> ServiceBundle:
    """1.1.0: a new required question on the first page, and a clearer title of the first state."""
    documents = copy.deepcopy(bundle.documents)
    documents["service.json"]["version"] = "1.1.0"
    petition = documents["form.json"]["properties"]["petition"]
    petition["properties"]["urgency"] = {"type": "string", "enum": ["normal", "urgent"]}
    petition["required"] = [*petition.get("required", []), "urgency"]
    step = next(
        s
        for s in documents["ui.json"]["steps"]
        if any(f["pointer"].startswith("/petition/") for f in s["fields"])
    )
    step["fields"].append(
        {
            "pointer": "/petition/urgency",
            "widget": "radio",
            "label": {"th": "ความเร่งด่วนของเรื่อง", "en": "How urgent is it"},
            "options": [
                {"value": "normal", "label": {"th": "ปกติ", "en": "Normal"}},
                {"value": "urgent", "label": {"th": "เร่งด่วน", "en": "Urgent"}},
            ],
        }
    )
    documents["workflow.json"]["states"]["submitted"]["title"]["th"] = "ได้รับคำร้องแล้ว รอส่งเรื่อง"
    files = {
        name: text.replace('"petition": {', '"petition": {"urgency": "normal", ', 1)
        if name.startswith("examples/valid-")
        else text
        for name, text in bundle.files.items()
    }
    return ServiceBundle(documents=documents, files=files)


def example(bundle: ServiceBundle, name: str) -> dict[str, Any]:
    import json

    return json.loads(bundle.files[f"examples/{name}"])


def drive_to_answered(platform: Platform, tenant: Any, officer: Any, definition: Any, reference: str) -> None:
    """Clerk routes, the department drafts an answer, the head approves: the petition is answered."""
    for action, roles, answer in (
        ("route", {"clerk"}, {"department": "engineering", "note": "ส่งกองช่าง"}),
        ("draft_answer", {"department_officer"}, {"answer": "กองช่างจะซ่อมไฟฟ้าส่องสว่างภายใน 7 วัน"}),
        ("approve_answer", {"department_head"}, None),
    ):
        transition = definition.workflow.transition_named(action)
        assert transition is not None
        data = answer
        if data is not None and transition.input:
            data = {**transition.input["examples"][0], **data}
            data = {k: v for k, v in data.items() if k in transition.input.get("properties", {})}
        platform.db(
            submissions.transition(tenant, definition, reference, action, roles, input=data, actor=officer)
        )


def test_a_new_version_leaves_open_work_on_the_old_one(platform: Platform, app: Any, tmp_path: Path):
    service_id = f"petition-v{uuid.uuid4().hex[:6]}"
    first = petition_copy(service_id)
    published = platform.db(
        catalog.publish(first, platform.catalog, platform.catalog_cache, published_by="analyst")
    )
    assert (published.version, published.new) == ("1.0.0", True)
    again = platform.db(catalog.publish(first, platform.catalog, platform.catalog_cache))
    assert again.new is False and again.content_hash == published.content_hash

    slug = f"v{uuid.uuid4().hex[:8]}"

    async def setup() -> tuple[Any, Any, Any]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=f"เทศบาลตำบล {slug}",
            name_en=slug,
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="VV",
        )
        await tenants.enable_version(tenant, platform.definition(service_id, "1.0.0"))
        admin = await accounts.create_user(tenant, f"{slug}.admin", PASSWORD, "ผู้ดูแลระบบ", ["admin"])
        officer = await accounts.create_user(tenant, f"{slug}.officer", PASSWORD, "เจ้าหน้าที่", ["clerk"])
        return tenant, admin, officer

    tenant, _admin, officer = platform.db(setup())
    old = platform.definition(service_id, "1.0.0")

    # Work under 1.0.0: a submitted petition, and a citizen's form saved halfway in the portal.
    receipt = platform.db(
        submissions.submit(tenant, old, example(first, "valid-information-pickup-minimal.json"))
    )
    citizen = Citizen(app.test_client(), slug)
    first_step = citizen.start(service_id)
    draft_page = citizen.get(first_step)
    assert draft_page.status == 200
    assert "ความเร่งด่วนของเรื่อง" not in citizen.html

    # The analyst publishes 1.1.0 with a new required question; the same number with other content is refused.
    second = with_urgency(first)
    changes = diff(old, platform.db(_checked(second, platform)))
    assert changes.bump == "major" and changes.suggested_version() == "2.0.0"
    assert any(
        c.area == "field" and c.name == "/petition/urgency" and c.kind == "added" for c in changes.changes
    )
    platform.db(catalog.publish(second, platform.catalog, platform.catalog_cache, changelog="ถามความเร่งด่วน"))
    conflicting = copy.deepcopy(second.documents)
    conflicting["service.json"]["summary"]["th"] += " (แก้ไข)"
    with pytest.raises(CatalogVersionConflict):
        platform.db(
            catalog.publish(
                ServiceBundle(conflicting, second.files), platform.catalog, platform.catalog_cache
            )
        )
    broken = copy.deepcopy(second.documents)
    broken["service.json"]["version"] = "1.2.0"
    broken["ui.json"]["steps"][0]["fields"][0]["pointer"] = "/nowhere"
    with pytest.raises(DefinitionRefused) as refused:
        platform.db(
            catalog.publish(ServiceBundle(broken, second.files), platform.catalog, platform.catalog_cache)
        )
    assert any(str(p).startswith("ui.json:/steps/0/fields/0/pointer") for p in refused.value.problems)

    # Another node of the deployment, reading the same database, finds the new version.
    other_node = Platform(settings=platform.settings, runtime=platform.runtime, blobs=platform.blobs)
    assert other_node.definition(service_id, "1.1.0").version == "1.1.0"

    # The municipality's administrator sees what changes and what happens to open work, then moves.
    admin_client = app.test_client()
    login = admin_client.post(
        f"/{slug}/admin/login",
        data={
            "csrf_token": csrf_token(admin_client, f"/{slug}/admin/login"),
            "username": f"{slug}.admin",
            "password": PASSWORD,
        },
    )
    assert login.status_code == 302
    services = admin_client.get(f"/{slug}/admin/console/services").get_data(as_text=True)
    assert "ดูสิ่งที่เปลี่ยนในรุ่น 1.1.0" in services
    upgrade_url = f"/{slug}/admin/console/services/{service_id}/upgrade?version=1.1.0"
    page = admin_client.get(upgrade_url).get_data(as_text=True)
    assert "/petition/urgency" in page and 'data-bump="major"' in page
    assert "คำขอที่ยื่นไว้แล้วและยังไม่เสร็จสิ้น 1 รายการ" in page
    moved = admin_client.post(
        upgrade_url, data={"csrf_token": csrf_token(admin_client, upgrade_url), "version": "1.1.0"}
    )
    assert moved.status_code == 302
    enabled = platform.db(tenants.enabled_service(tenant, service_id))
    assert enabled.version == "1.1.0"

    # New work uses 1.1.0: the new question is asked and required.
    new = platform.definition(service_id, "1.1.0")
    without = example(first, "valid-information-pickup-minimal.json")
    with pytest.raises(SubmissionInvalid) as invalid:
        platform.db(submissions.submit(tenant, new, without))
    assert [e.pointer for e in invalid.value.errors] == ["/petition/urgency"]
    fresh = platform.db(
        submissions.submit(tenant, new, example(second, "valid-information-pickup-minimal.json"))
    )

    # The saved form carries on under 1.0.0 (no new question) and is submitted under it.
    assert platform.db(Draft.filter(tenant=tenant).values_list("service_version", flat=True)) == ["1.0.0"]
    citizen.get(first_step)
    assert citizen.status == 200 and "ความเร่งด่วนของเรื่อง" not in citizen.html

    # Both petitions reach their end, each under the version it began with.
    drive_to_answered(platform, tenant, officer, old, receipt.reference)
    drive_to_answered(platform, tenant, officer, new, fresh.reference)
    stored = {
        s.reference: (s.service_version, s.state)
        for s in platform.db(Submission.filter(tenant=tenant, service_id=service_id))
    }
    assert stored == {receipt.reference: ("1.0.0", "answered"), fresh.reference: ("1.1.0", "answered")}

    overview = platform.db(catalog.catalog_overview([service_id]))[service_id]
    assert [(u.version.version, u.tenants, u.open_submissions) for u in overview] == [
        ("1.0.0", 0, 0),
        ("1.1.0", 1, 0),
    ]

    # The published version exports back to the folder it came from.
    platform.db(catalog.export(service_id, "1.0.0", tmp_path / "exported"))
    problems: list[Any] = []
    exported = read_bundle(tmp_path / "exported", problems)
    assert exported is not None and exported.content_hash == first.content_hash


async def _checked(bundle: ServiceBundle, platform: Platform) -> Any:
    definition, problems = catalog.checked_definition(bundle, platform.catalog)
    assert not problems, problems
    return definition


def test_a_seed_folder_changed_without_a_new_version_is_refused(platform: Platform, tmp_path: Path):
    service_id = f"petition-s{uuid.uuid4().hex[:6]}"
    bundle = petition_copy(service_id)
    folder = tmp_path / service_id
    bundle.write(folder)
    platform.db(catalog.publish_seed(folder, platform.catalog, platform.catalog_cache))
    service = read(folder / "service.json")
    service["summary"]["th"] += " เพิ่มเติม"
    import json

    (folder / "service.json").write_text(json.dumps(service, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogVersionConflict) as conflict:
        platform.db(catalog.publish_seed(folder, platform.catalog, platform.catalog_cache))
    assert "give the change a new version" in str(conflict.value)


def test_a_seed_version_numbered_lower_than_its_changes_call_for_is_refused(
    platform: Platform, tmp_path: Path
):
    from engine.services.errors import CatalogVersionTooLow

    service_id = f"petition-n{uuid.uuid4().hex[:6]}"
    folder = tmp_path / service_id
    petition_copy(service_id).write(folder)
    platform.db(catalog.publish_seed(folder, platform.catalog, platform.catalog_cache))
    # A new required question refuses what 1.0.0 accepted: 1.1.0 is not enough.
    newer = tmp_path / "newer" / service_id
    with_urgency(petition_copy(service_id)).write(newer)
    with pytest.raises(CatalogVersionTooLow) as refused:
        platform.db(catalog.publish_seed(newer, platform.catalog, platform.catalog_cache))
    assert "the changes since 1.0.0 call for 2.0.0 at least" in str(refused.value)
    assert "/petition/urgency" in str(refused.value)
    assert platform.catalog.versions_of(service_id) == ["1.0.0"]
    service = read(newer / "service.json")
    service["version"] = "2.0.0"
    import json

    (newer / "service.json").write_text(json.dumps(service, ensure_ascii=False), encoding="utf-8")
    platform.db(catalog.publish_seed(newer, platform.catalog, platform.catalog_cache))
    assert platform.catalog.versions_of(service_id) == ["1.0.0", "2.0.0"]
