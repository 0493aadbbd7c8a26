"""The legal wording of the food-premises notification, the elderly allowance and the wastewater charge.

Their legal references are data with the sources they were checked against; the texts a citizen reads
name the local administration (these services run in อบต. and อบจ. as well as เทศบาล); the wastewater
service calls its money by the one name the Enhancement and Conservation of National Environmental
Quality Act gives it (ค่าบริการ, s. 88).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CATALOG

SERVICES = ["food-premises-notification", "elderly-allowance", "wastewater-fee"]


def thai_texts(value: Any) -> list[str]:
    """Every Thai text of a catalog document (the th of each text object, and plain strings)."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in thai_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in thai_texts(v)]
    return [value] if isinstance(value, str) else []


def read(service_id: str, name: str) -> Any:
    return json.loads((CATALOG / service_id / name).read_text(encoding="utf-8"))


def citizen_facing(service_id: str, name: str) -> Any:
    """The document without its legal references: their sources and notes keep their own words."""
    document = read(service_id, name)
    return {k: v for k, v in document.items() if k != "legal_basis"} if name == "service.json" else document


@pytest.mark.parametrize("service_id", SERVICES)
def test_each_legal_reference_says_what_it_was_checked_against(service_id):
    for reference in read(service_id, "service.json")["legal_basis"]:
        verification = reference["verification"]
        assert verification["note"], reference["title"]["th"]
        if verification["status"] != "unverified":
            assert verification["checked_against"], reference["title"]["th"]
            assert all(source["url"].startswith("http") for source in verification["checked_against"])


@pytest.mark.parametrize("service_id", SERVICES)
@pytest.mark.parametrize("name", ["service.json", "ui.json", "form.json"])
def test_citizen_texts_do_not_assume_a_municipality(service_id, name):
    assert [t for t in thai_texts(citizen_facing(service_id, name)) if "เทศบาล" in t] == []


@pytest.mark.parametrize("name", ["service.json", "ui.json", "form.json"])
def test_the_wastewater_service_says_kha_borikan_only(name):
    assert [t for t in thai_texts(citizen_facing("wastewater-fee", name)) if "ค่าธรรมเนียม" in t] == []


def test_the_food_certificate_promises_no_term():
    service = read("food-premises-notification", "service.json")
    [certificate] = service["documents"]
    assert "validity" not in certificate
    texts = thai_texts(citizen_facing("food-premises-notification", "service.json"))
    assert [t for t in texts if "มีอายุ" in t or "ใช้ได้จนถึง" in t] == []
    assert certificate["signers"][0]["position"]["th"] == "เจ้าพนักงานท้องถิ่น"


ALL_SERVICES = sorted(p.name for p in CATALOG.iterdir() if (p / "workflow.json").exists())
# A refusal of these is an administrative order on the applicant's right: the message says how to appeal.
DECIDING = {
    "building-permit": "คณะกรรมการพิจารณาอุทธรณ์",  # the Building Control Act's own appeal
    "elderly-allowance": "มาตรา 44 แห่งพระราชบัญญัติวิธีปฏิบัติราชการทางปกครอง พ.ศ. 2539",
    "garbage-fee": "มาตรา 44 แห่งพระราชบัญญัติวิธีปฏิบัติราชการทางปกครอง พ.ศ. 2539",
    "wastewater-fee": "มาตรา 44 แห่งพระราชบัญญัติวิธีปฏิบัติราชการทางปกครอง พ.ศ. 2539",
    "food-premises-notification": "อุทธรณ์",
}


@pytest.mark.parametrize("service_id", ALL_SERVICES)
def test_no_workflow_text_names_a_municipality_for_every_local_administration(service_id: str) -> None:
    texts = thai_texts(read(service_id, "workflow.json"))
    assert [t for t in texts if "เทศบาล" in t] == []


@pytest.mark.parametrize(("service_id", "appeal"), sorted(DECIDING.items()))
def test_a_refusal_tells_the_applicant_how_to_appeal(service_id: str, appeal: str) -> None:
    refused = read(service_id, "workflow.json")["states"]["rejected"]["applicant_message"]
    assert "อุทธรณ์" in refused["th"] and appeal in refused["th"]
    assert "appeal" in refused["en"]


def test_the_food_certificate_is_never_promised_a_term() -> None:
    texts = thai_texts(read("food-premises-notification", "workflow.json"))
    assert [t for t in texts if "มีอายุ" in t or "ใช้ได้จนถึง" in t] == []
    issued = read("food-premises-notification", "workflow.json")["states"]["issued"]["applicant_message"][
        "th"
    ]
    assert "ค่าธรรมเนียมรายปี" in issued
