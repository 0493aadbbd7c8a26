"""Service definitions over the API: the document other front ends render from, as the portal shows it,
with a strong ETag; a municipality's enabled version with its local rates; the national catalog."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import pytest

from engine.services import definition_documents, tenants
from tests.integration.test_portal import Citizen, step_id_of

pytestmark = pytest.mark.db

FOOD = "food-premises-notification"
COMPLAINT = "complaint"
NOT_OFFERED = "garbage-fee"
LOCAL_TIERS = [{"up_to": 25, "amount": 80}, {"up_to": 50, "amount": 160}, {"up_to": None, "amount": 450}]


@pytest.fixture(scope="module")
def town(platform: Any) -> str:
    """A municipality offering the food premises notification and complaints (not the garbage fee)."""
    slug = f"d{uuid.uuid4().hex[:8]}"

    async def setup() -> None:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="เทศบาลตำบลทดสอบนิยาม",
            name_en="Definitions Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="DF",
        )
        for service_id in (FOOD, COMPLAINT):
            await tenants.enable_service(tenant, platform.catalog.get(service_id))

    platform.db(setup())
    return slug


def set_local_tiers(platform: Any, slug: str, tiers: list[dict[str, Any]]) -> None:
    async def change() -> None:
        tenant = await tenants.get_tenant(slug)
        await tenants.enable_service(
            tenant, platform.catalog.get(FOOD), {"fees": {"certificate_fee": {"tiers": tiers}}}
        )

    platform.db(change())


def test_the_document_is_what_the_portal_renders(app: Any, client: Any, platform: Any, town: str):
    answer = client.get(f"/api/v1/tenants/{town}/services/{FOOD}")
    assert answer.status_code == 200, answer.json
    document = answer.json
    definition = platform.catalog.get(FOOD)
    assert (document["id"], document["version"]) == (FOOD, definition.version)
    assert document["form"] == definition.form

    citizen = Citizen(app.test_client(), town)
    citizen.get(f"/{town}/services/{FOOD}")
    service_page = citizen.page.text
    assert document["title"]["th"] in service_page
    assert document["summary"]["th"] in service_page
    for attachment in document["attachments"]:
        assert attachment["title"]["th"] in service_page
    assert document["sla"]["legal_maximum"] == definition.service.sla.legal_maximum
    assert document["sla"]["basis"] == definition.service.sla.basis
    assert document["pdpa"]["lawful_basis_title"]["th"] in service_page

    first_step = document["ui"]["steps"][0]
    citizen.get(citizen.start(FOOD))
    assert citizen.status == 200
    step_page = citizen.page.text
    assert first_step["title"]["th"] in step_page
    for field in first_step["fields"]:
        assert field["label"]["th"] in step_page
    assert {"pointer", "widget", "label"} <= set(first_step["fields"][0])
    # Every step is there, in the portal's order, with its condition.
    assert [s["id"] for s in document["ui"]["steps"]] == [s.id for s in definition.ui.steps]
    conditional = [s for s in definition.ui.steps if s.when is not None]
    for step in conditional:
        assert next(s for s in document["ui"]["steps"] if s["id"] == step.id)["when"] == step.when


def test_an_address_names_its_parts_as_the_portal_asks_them(app: Any, client: Any, town: str):
    document = client.get(f"/api/v1/tenants/{town}/services/{FOOD}").json
    step = next(s for s in document["ui"]["steps"] if s["id"] == "operator")
    [address] = [f for f in step["fields"] if f["widget"] == "thai-address"]
    parts = address["parts"]
    assert [p["name"] for p in parts][:2] == ["house_no", "moo"] and parts[0]["label"]["th"] == "บ้านเลขที่"
    assert all(
        f["widget"] == "thai-address" for s in document["ui"]["steps"] for f in s["fields"] if "parts" in f
    )
    citizen = Citizen(app.test_client(), town)
    first = citizen.start(FOOD)
    citizen.get(first.replace(step_id_of(first), "operator"))
    page = citizen.page.text
    shown = [page.find(p["label"]["th"]) for p in parts]
    assert -1 not in shown and shown == sorted(shown), "the portal asks the same parts in the same order"


def test_the_fees_carry_the_local_rates_as_the_portal_charges_them(
    app: Any, client: Any, platform: Any, town: str
):
    set_local_tiers(platform, town, LOCAL_TIERS)
    document = client.get(f"/api/v1/tenants/{town}/services/{FOOD}").json
    [fee] = [f for f in document["fees"] if f["id"] == "certificate_fee"]
    assert fee["tiers"] == LOCAL_TIERS
    assert fee["set_locally"] is True and fee["local"] is True and fee["kind"] == "tiered"
    page = Citizen(app.test_client(), town).get(f"/{town}/services/{FOOD}").page.text
    assert "450 บาท" in page
    # The national catalog's document keeps the default rates.
    definition = platform.catalog.get(FOOD)
    national = client.get(f"/api/v1/catalog/{FOOD}/versions/{definition.version}").json
    [default] = [f for f in national["fees"] if f["id"] == "certificate_fee"]
    assert default["tiers"] == [t.model_dump() for t in definition.service.fee("certificate_fee").tiers]
    assert default["set_locally"] is False


def test_etag_answers_304_and_changes_with_the_local_rates(client: Any, platform: Any, town: str):
    url = f"/api/v1/tenants/{town}/services/{FOOD}"
    set_local_tiers(platform, town, LOCAL_TIERS)
    first = client.get(url)
    tag = first.headers["ETag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    assert client.get(url).headers["ETag"] == tag  # the same content, the same tag

    unchanged = client.get(url, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == tag
    assert client.get(url, headers={"If-None-Match": '"other", ' + tag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    # Compressed, the tag says so; sent back, it still matches.
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.get_data())) == first.json
    assert client.get(url, headers={"If-None-Match": zipped.headers["ETag"]}).status_code == 304

    set_local_tiers(platform, town, [{"up_to": None, "amount": 999}])
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert [f["tiers"] for f in changed.json["fees"] if f["id"] == "certificate_fee"] == [
        [{"up_to": None, "amount": 999}]
    ]
    # Another municipality's rates are its own: the complaint's document did not move.
    other = client.get(f"/api/v1/tenants/{town}/services/{COMPLAINT}")
    assert other.status_code == 200 and other.json["fees"] == []


def test_a_service_not_offered_is_not_found(client: Any, platform: Any, town: str):
    for service_id in (NOT_OFFERED, "no-such-service", "x" * 300):
        answer = client.get(f"/api/v1/tenants/{town}/services/{service_id}")
        assert answer.status_code == 404, service_id
        assert answer.json["code"] == "service_not_enabled" and answer.json["message"]
        assert "title" not in answer.json
    listed = client.get(f"/api/v1/tenants/{town}/services").json["services"]
    assert {s["id"] for s in listed} == {FOOD, COMPLAINT}
    food = next(s for s in listed if s["id"] == FOOD)
    definition = platform.catalog.get(FOOD)
    assert food == {
        "id": FOOD,
        "version": definition.version,
        "title": definition.service.title.model_dump(),
        "summary": definition.service.summary.model_dump(),
        "category": definition.service.category,
    }
    assert client.get(f"/api/v1/tenants/nowhere{uuid.uuid4().hex[:6]}/services/{FOOD}").status_code == 404


def test_a_service_no_longer_offered_is_not_found(client: Any, platform: Any):
    slug = f"d{uuid.uuid4().hex[:8]}"

    async def setup() -> None:
        tenant = await tenants.ensure_tenant(
            slug, name_th="ทดสอบ", name_en="T", kind="municipality", province="ลำพูน", reference_prefix="DX"
        )
        await tenants.enable_service(tenant, platform.catalog.get(COMPLAINT))
        await tenants.disable_service(tenant, COMPLAINT)

    platform.db(setup())
    assert client.get(f"/api/v1/tenants/{slug}/services/{COMPLAINT}").status_code == 404
    assert client.get(f"/api/v1/tenants/{slug}/services").json == {"services": []}


def test_the_national_catalog_lists_every_published_version(client: Any, platform: Any):
    answer = client.get("/api/v1/catalog")
    assert answer.status_code == 200
    listed = {s["id"]: s for s in answer.json["services"]}
    for definition in platform.catalog:
        entry = listed[definition.id]
        assert entry["latest"] == definition.version
        assert entry["versions"] == platform.catalog.versions_of(definition.id)
        assert entry["title"] == definition.service.title.model_dump()
    tag = answer.headers["ETag"]
    assert client.get("/api/v1/catalog", headers={"If-None-Match": tag}).status_code == 304


def test_a_published_version_of_the_catalog(client: Any, platform: Any):
    definition = platform.catalog.get(COMPLAINT)
    url = f"/api/v1/catalog/{COMPLAINT}/versions/{definition.version}"
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.json == json.loads(json.dumps(definition_documents.document(definition)))
    assert answer.json["ui"]["steps"][0]["title"] == definition.ui.steps[0].title.model_dump()
    assert client.get(url, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    for version in ("9.9.9", "latest"):
        missing = client.get(f"/api/v1/catalog/{COMPLAINT}/versions/{version}")
        assert missing.status_code == 404 and missing.json["code"] == "service_not_found"
    assert client.get("/api/v1/catalog/no-such-service/versions/1.0.0").status_code == 404


def conforms(body: Any, schema: str) -> None:
    """``body`` is what the OpenAPI document says the operation answers."""
    from jsonschema import Draft202012Validator

    from api.openapi import SPEC

    Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": SPEC["components"]}
    ).validate(body)


def test_the_answers_are_what_the_openapi_document_says(client: Any, platform: Any, town: str):
    for service_id in (FOOD, COMPLAINT):
        conforms(client.get(f"/api/v1/tenants/{town}/services/{service_id}").json, "ServiceDefinition")
    for definition in platform.catalog.every_version():
        url = f"/api/v1/catalog/{definition.id}/versions/{definition.version}"
        conforms(client.get(url).json, "ServiceDefinition")
    conforms(client.get("/api/v1/catalog").json, "Catalog")
    for service in client.get(f"/api/v1/tenants/{town}/services").json["services"]:
        conforms(service, "Service")
