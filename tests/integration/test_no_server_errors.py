"""No request from outside reaches a server error: every route, with what nobody should send.

Each URL variable in turn gets an over-long, negative, huge, non-ASCII, NUL or newline value
(the others a plausible one), with odd query parameters besides, by GET and by every method
the route takes, anonymously and as an officer holding every role (the API's routes also with the
bearer tokens of that officer and of the national operator). CSRF checks are off here,
so form posts reach the views' own code instead of stopping at the missing token.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from engine.services.operators import OPERATOR_TENANT
from tests.integration.test_admin import Town, login, make_town
from thongthin.demo import DEMO_PASSWORD

ODD_TEXT = ["a" * 300, "-1", "99999999999999999999", "ก" * 50, "\x00", "x\ny", "..%2F..", ""]
ODD_INTEGERS = ["0", "99999999999999999999", "2147483648"]
ODD_QUERY = "?id=99999999999999999999&page=-1&next=%0Ahttp://evil&lang=xx&q=%00&reference=" + "9" * 300
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@pytest.fixture(scope="module")
def town(platform: Any) -> Town:
    from engine.services.roles import NOT_FOR_OFFICERS

    roles = [r for r in platform.catalog.roles if r not in NOT_FOR_OFFICERS]
    return make_town(platform, roles=roles[:1], extra={"everything": roles}, prefix="NS")


@pytest.fixture(scope="module", autouse=True)
def csrf_off(app: Any) -> Any:
    before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = before


def plausible(name: str, town: Town) -> str:
    return {"tenant": town.slug, "service_id": "general-petition", "slug": town.slug}.get(name, "x1")


def urls(rule: Any, town: Town) -> list[str]:
    """The rule's URL once per odd value of each variable in turn (or as it is, without variables)."""
    variables = list(VARIABLE.finditer(rule.rule))
    if not variables:
        return [rule.rule]
    built = []
    for position, odd_one in enumerate(variables):
        for value in ODD_INTEGERS if odd_one.group(1) == "int" else ODD_TEXT:
            url, last = "", 0
            for index, match in enumerate(variables):
                text = value if index == position else plausible(match.group(2), town)
                url += rule.rule[last : match.start()] + quote(
                    text, safe="/" if match.group(1) == "path" else ""
                )
                last = match.end()
            built.append(url + rule.rule[last:])
    return built


def bearer(app: Any, tenant: str, username: str) -> dict[str, str]:
    answer = app.test_client().post(
        "/api/v1/auth/token", json={"tenant": tenant, "username": username, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['token']}"}


def test_no_route_answers_a_server_error(app: Any, town: Town, analyst: str):
    officer = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    assert login(officer, town, f"{town.slug}.everything").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    anonymous = app.test_client()
    # The API as nobody, as the officer holding every role, and as the national operator.
    callers = {
        "anonymous": {},
        "officer": bearer(app, town.slug, f"{town.slug}.everything"),
        "operator": bearer(app, OPERATOR_TENANT, analyst),
    }
    failures: list[str] = []
    sent = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/static"):
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        api = rule.rule.startswith("/api/")
        for url in urls(rule, town):
            for method in methods:
                for client in (anonymous, officer):
                    target = url + (ODD_QUERY if method == "GET" else "")
                    if "/logout" in rule.rule and client is officer:
                        continue  # keep the officer logged in for the rest of the walk
                    for who, headers in callers.items() if api and client is anonymous else [("", {})]:
                        if who != "anonymous" and rule.rule == "/api/v1/auth/token":
                            continue  # keep the tokens alive for the rest of the walk
                        response = client.open(target, method=method, data={"x": "y"}, headers=headers)
                        sent += 1
                        if response.status_code >= 500:
                            failures.append(f"{method} {target} ({who or 'page'}) -> {response.status_code}")
    print(f"\n{sent} requests")
    assert sent > 1000
    assert not failures, "\n".join(failures[:50])
