"""The national catalog's status texts use the platform's terms (the language review's findings)."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import CATALOG, SERVICE_IDS


def _workflow(service_id: str) -> dict[str, Any]:
    return json.loads((CATALOG / service_id / "workflow.json").read_text(encoding="utf-8"))


def test_a_withdrawn_application_reads_as_withdrawn_and_the_action_as_withdrawing():
    for service_id in SERVICE_IDS:
        workflow = _workflow(service_id)
        for name, state in workflow["states"].items():
            if state.get("outcome") == "withdrawn":
                title = state["title"]["th"]
                assert title.startswith("ถอน") and title.endswith("แล้ว"), (service_id, name, title)
        for transition in workflow["transitions"]:
            if workflow["states"][transition["to"]].get("outcome") == "withdrawn":
                title = transition["title"]["th"]
                assert title.startswith("ถอน") and not title.endswith("แล้ว"), (service_id, title)


def test_secrecy_and_referral_are_worded_as_the_review_asks():
    for service_id in SERVICE_IDS:
        text = (CATALOG / service_id / "workflow.json").read_text(encoding="utf-8")
        assert "(ชั้นความลับ)" not in text, service_id
        for state in _workflow(service_id)["states"].values():
            if state.get("outcome") == "rejected":
                assert "ส่งต่อ" not in state["title"]["th"], (service_id, state["title"]["th"])


def test_fewer_choices_in_a_list_of_checkboxes_is_a_major_change(catalog):
    """The version a change calls for: a client that still sends the removed choice is refused."""
    import copy

    from engine.definitions.diff import diff

    before = catalog.get("elderly-allowance")
    form = copy.deepcopy(before.form)
    items = form["properties"]["welfare"]["properties"]["other_allowances"]["items"]
    items["enum"] = items["enum"][1:]
    after = before.model_copy(update={"form": form})
    changes = diff(before, after)
    assert changes.bump == "major"
    assert [(c.name, c.detail) for c in changes.changes] == [
        ("/welfare/other_allowances", "validation rules")
    ]
