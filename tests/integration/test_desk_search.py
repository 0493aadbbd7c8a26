"""Inbox search: by reference (whole or part), by national ID (through the subject index) or by the
applicant's name, only within the officer's own work and never across municipalities."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.services import desk
from engine.store.models import Submission
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the real CSRF check, module-wide)
    make_town,
    officer_client,
    submit_food,
    text_of,
)

ROWS = re.compile(r'data-reference="([^"]+)"')
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


@pytest.fixture(scope="module")
def town(platform: Any) -> Town:
    return make_town(platform, roles=["clerk", "revenue_officer"], prefix="DS")


@pytest.fixture(scope="module")
def other(platform: Any) -> Town:
    return make_town(platform, roles=["clerk"], prefix="DX")


def listed(client: Any, town: Town, query: str) -> set[str]:
    return set(ROWS.findall(text_of(client.get(f"/{town.slug}/admin/", query_string={"q": query}))))


def test_the_inbox_finds_by_reference_national_id_or_name_and_nothing_else(
    app: Any, platform: Any, town: Town, other: Town
):
    noodles, _ = submit_food(platform, town)  # นาง สุนีย์ แก้วมณี, ก๋วยเตี๋ยวเรือป้านีย์
    frozen, _ = submit_food(platform, town, "valid-frozen-food-store-company.json")
    # The same citizen, the same numbering in another municipality: same national ID, same year and number.
    foreign, _ = submit_food(platform, other)
    assert foreign.split("-", 1)[1] == noodles.split("-", 1)[1]
    data = platform.db(Submission.get(tenant_id=town.tenant.id, reference=noodles)).data
    national_id = data["operator"]["national_id"]
    dashed = f"{national_id[0]}-{national_id[1:5]}-{national_id[5:10]}-{national_id[10:12]}-{national_id[12]}"
    year_number = noodles.split("-", 1)[1]

    clerk = officer_client(app, town, "clerk")
    assert listed(clerk, town, "") == {noodles, frozen}
    for query in (
        noodles,
        noodles.lower(),
        year_number,  # 2569-000123
        year_number.replace("-", ""),  # 2569000123
        year_number.translate(THAI_DIGITS),  # ๒๕๖๙-๐๐๐๑๒๓
        national_id,
        dashed,
        f" {national_id[:6]} {national_id[6:]} ",
        "สุนีย์",
        "แก้วมณี",
        "สุนีย์ แก้วมณี",
        "นางสุนีย์",
        "ป้านีย์",  # the shop's name
    ):
        assert listed(clerk, town, query) == {noodles}, query
    assert listed(clerk, town, frozen.rsplit("-", 1)[1]) == {frozen}

    # Nothing else: an unknown name or ID, part of an ID (only whole IDs are hashed), another town's reference.
    page = text_of(clerk.get(f"/{town.slug}/admin/", query_string={"q": "ไม่มีชื่อนี้แน่นอน"}))
    assert not ROWS.findall(page) and "ไม่พบคำขอที่ตรงกับ" in page and "ไม่มีชื่อนี้แน่นอน" in page
    assert "คำขอที่รอบทบาทของคุณ 2 เรื่อง" in page, "a search does not change how much work is waiting"
    assert listed(clerk, town, national_id[:-1]) == set()
    assert listed(clerk, town, "3" * 13) == set()
    assert listed(clerk, town, foreign) == set()
    escaped = text_of(clerk.get(f"/{town.slug}/admin/", query_string={"q": "<b>x</b>"}))
    assert "<b>x</b>" not in escaped and "&lt;b&gt;x&lt;/b&gt;" in escaped

    # Another municipality's officer finds only their own, by the very same ID and number.
    their_clerk = officer_client(app, other, "clerk")
    for query in (national_id, year_number, "สุนีย์", noodles):
        assert foreign not in listed(clerk, town, query)
        assert noodles not in listed(their_clerk, other, query) and frozen not in listed(
            their_clerk, other, query
        )
    assert listed(their_clerk, other, dashed) == {foreign}

    # Need to know: an officer whose roles have no work on food premises finds none of it.
    revenue = officer_client(app, town, "revenue_officer")
    for query in (noodles, national_id, "สุนีย์"):
        assert listed(revenue, town, query) == set(), query

    # The engine's own answer: counts per filter follow the search, the waiting total does not.
    found = platform.db(
        desk.inbox(town.tenant, list(platform.catalog), {"clerk"}, desk.InboxFilter(search=dashed))
    )
    assert [i.reference for i in found.items] == [noodles]
    assert found.total == 1 and found.waiting == 2 and sum(found.by_service.values()) == 1


def test_search_terms_tell_a_reference_from_an_id_from_a_name():
    terms = desk.search_terms
    assert terms("  ") is None
    assert terms("mh 2569 000123") == ("reference", "MH-2569-000123")
    assert terms("2569000123") == ("reference", "2569-000123")
    assert terms("๒๕๖๙-๐๐๐๑๒๓") == ("reference", "2569-000123")
    assert terms("000123") == ("reference", "000123")
    assert terms("1-5099-00345-67-7") == ("national_id", "1509900345677")
    assert terms("สมชาย  ใจดี") == ("name", "สมชายใจดี")
    assert terms("John Smith") == ("name", "johnsmith")
