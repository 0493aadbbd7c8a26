"""Property-based: generated data for every catalog form validates; mutated data yields pointer errors.

Data comes from hypothesis-jsonschema over each bundled form. The engine's date rules
(x-min-age, x-not-future) are invisible to the generator, so their fields are generated
by strategies of their own, the way a citizen's real birth date would be.
"""

from __future__ import annotations

import copy
import string
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from engine import jsonpointer
from engine.definitions import load_definition
from engine.forms import validate_submission
from engine.forms.formats import is_date, national_id_check_digit
from engine.forms.keywords import age_reference_day
from tests.conftest import SERVICE_IDS

TODAY = date(2026, 11, 21)
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def national_ids() -> st.SearchStrategy[str]:
    twelve = st.text(alphabet=string.digits, min_size=12, max_size=12).filter(lambda s: s[0] not in "09")
    return twelve.map(lambda s: s + str(national_id_check_digit(s)))


FORMATS: dict[str, st.SearchStrategy[str]] = {
    "thai-national-id": national_ids(),
    "thai-phone": st.from_regex(r"\A0[689][0-9]{8}\Z") | st.from_regex(r"\A0[2-7][0-9]{7}\Z"),
    "thai-postcode": st.from_regex(r"\A(1[0-9]|[2-8][0-9]|9[0-6])[0-9]{3}\Z"),
    "past-date": st.dates(date(1900, 1, 1), TODAY).map(date.isoformat),
}


def generation_schema(node: Any) -> Any:
    """The form with its date rules expressed as formats the generator can be given."""
    if isinstance(node, list):
        return [generation_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: generation_schema(v)
        for k, v in node.items()
        if k not in ("x-min-age", "x-not-future", "x-messages")
    }
    if "prefixItems" in out:  # the generator knows tuples only in their draft-07 spelling
        out["items"] = out.pop("prefixItems")
    if "x-min-age" in node:
        rule = node["x-min-age"]
        latest = age_reference_day(rule.get("on", "today"), TODAY)
        name = f"born-by-{rule['years']}-{latest.isoformat()}"
        newest = date(latest.year - rule["years"], latest.month, latest.day)
        FORMATS[name] = st.dates(date(1900, 1, 1), min(newest, TODAY)).map(date.isoformat)
        out["format"] = name
    elif node.get("x-not-future"):
        out["format"] = "past-date"
    elif node.get("format") == "date" and "pattern" in node:
        # e.g. "the first of a month": draw from the pattern rather than filter random dates
        name = f"date-like-{node['pattern']}"
        FORMATS[name] = st.from_regex(node["pattern"]).filter(is_date)
        out["format"] = name
        del out["pattern"]
    return out


def _is_object(node: Any) -> bool:
    return isinstance(node, dict) and (node.get("type") == "object" or "properties" in node)


class Generator:
    """Draws data for a form: objects field by field, conditions applied after the fields they test.

    hypothesis-jsonschema draws the leaves; drawing whole objects with it would throw most
    of them away at every ``if``/``then``, which makes large forms take minutes.
    """

    def __init__(self, root: dict[str, Any]):
        self.root = root

    def deref(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = {
                **jsonpointer.resolve(self.root, node["$ref"][1:]),
                **{k: v for k, v in node.items() if k != "$ref"},
            }
        return node

    def merge(self, first: Any, second: Any) -> Any:
        """One schema meeting both; objects are merged field by field so they stay drawable."""
        first, second = self.deref(first), self.deref(second)
        if not isinstance(second, dict) or not second:
            return first
        if not isinstance(first, dict) or not first:
            return second
        if _is_object(first) or _is_object(second):
            properties = dict(first.get("properties", {}))
            for name, sub in second.get("properties", {}).items():
                properties[name] = self.merge(properties.get(name, {}), sub)
            merged = {**first, **{k: v for k, v in second.items() if k not in ("properties", "required")}}
            merged["properties"] = properties
            merged["required"] = sorted(set(first.get("required", [])) | set(second.get("required", [])))
            return merged
        return {"allOf": [first, second]}

    def strategy(self, node: Any) -> st.SearchStrategy[Any]:
        node = self.deref(node)
        if _is_object(node):
            return self.object(node)
        if isinstance(node, dict) and node.get("type") == "array" and isinstance(node.get("items"), dict):
            item = self.strategy(node["items"])
            low = node.get("minItems", 0)
            high = max(low, min(node.get("maxItems", 3), 3))
            return st.lists(
                item, min_size=low, max_size=high, unique_by=str if node.get("uniqueItems") else None
            )
        leaf = {"$defs": self.root.get("$defs", {}), **node} if isinstance(node, dict) else node
        return from_schema(leaf, custom_formats=FORMATS)

    def object(self, node: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        branches = [b for b in node.get("allOf", []) if isinstance(b, dict)]
        conditionals = [b for b in [node, *branches] if "if" in b]
        for branch in branches:
            if "if" not in branch:
                node = self.merge(node, branch)
        properties: dict[str, Any] = node.get("properties", {})
        required = node.get("required", [])

        @st.composite
        def draw(draw_value: Any) -> dict[str, Any]:
            value: dict[str, Any] = {}
            for name, sub in properties.items():
                if name in required or draw_value(st.booleans()):
                    value[name] = draw_value(self.strategy(sub))
            for _ in range(5):  # a redrawn field can change which conditions hold: repeat until settled
                unsettled = False
                for branch in conditionals:
                    holds = Draft202012Validator(self.deref(branch["if"])).is_valid(value)
                    chosen = branch.get("then" if holds else "else")
                    if not isinstance(chosen, dict) or Draft202012Validator(chosen).is_valid(value):
                        continue
                    unsettled = True
                    for name, sub in chosen.get("properties", {}).items():
                        if name in value or name in chosen.get("required", []):
                            value[name] = draw_value(self.strategy(self.merge(properties.get(name, {}), sub)))
                    for name in chosen.get("required", []):
                        if name not in value:
                            value[name] = draw_value(self.strategy(properties.get(name, {})))
                if not unsettled:
                    break
            return value

        return draw()


def data_for(service_id: str) -> st.SearchStrategy[Any]:
    definition = load_definition(service_id)
    schema = generation_schema(definition.form)
    schema.pop("$schema", None)  # read as draft-07, where tuples are spelled "items": [...]
    return Generator(schema).strategy(schema)


def leaves(data: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    if isinstance(data, dict):
        for k, v in data.items():
            found.extend(leaves(v, (*path, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found.extend(leaves(v, (*path, str(i))))
    elif path:
        found.append((path, data))
    return found


def set_at(data: Any, path: tuple[str, ...], value: Any) -> None:
    node = data
    for segment in path[:-1]:
        node = node[int(segment)] if isinstance(node, list) else node[segment]
    if isinstance(node, list):
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value


def related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_generated_valid_data_validates(service_id: str):
    definition = load_definition(service_id)

    @PROPERTY_SETTINGS
    @given(data_for(service_id))
    def check(data: Any) -> None:
        assert validate_submission(definition, data, today=TODAY) == []

    check()


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_mutated_data_yields_pointer_errors(service_id: str):
    definition = load_definition(service_id)

    @PROPERTY_SETTINGS
    @given(data_for(service_id), st.data())
    def check(data: Any, draw: st.DataObject) -> None:
        mutated = copy.deepcopy(data)
        kind = draw.draw(st.sampled_from(["drop-required", "wrong-type", "unknown-field"]))
        required = [r for r in definition.form.get("required", []) if r in mutated]
        if kind == "drop-required" and required:
            name = draw.draw(st.sampled_from(required))
            del mutated[name]
            expected = "/" + jsonpointer.escape(name)
        elif kind == "wrong-type" and leaves(mutated):
            path, value = draw.draw(st.sampled_from(leaves(mutated)))
            set_at(mutated, path, {"unexpected": [value]})
            expected = jsonpointer.join(path)
        else:
            mutated["x_unknown_field"] = "?"
            expected = "/x_unknown_field"
        errors = validate_submission(definition, mutated, today=TODAY)
        assert errors, f"{kind} at {expected} was accepted"
        assert any(related(e.pointer, expected) for e in errors), [e.as_dict() for e in errors]
        for error in errors:
            assert error.pointer == "" or error.pointer.startswith("/")
            parent = error.pointer.rsplit("/", 1)[0] if error.pointer else ""
            if error.keyword == "required" and jsonpointer.resolve(mutated, parent, None) is None:
                # A missing address is reported per part it needs: the address itself is the missing parent.
                parent = parent.rsplit("/", 1)[0]
            jsonpointer.resolve(mutated, parent)
            assert error.message_th.strip() and error.message_en.strip()

    check()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_arbitrary_json_never_raises(service_id: str):
    definition = load_definition(service_id)

    @settings(max_examples=60, deadline=None)
    @given(json_values)
    def check(data: Any) -> None:
        errors = validate_submission(definition, data, today=TODAY)
        assert isinstance(errors, list)
        assert all(e.message_th and e.message_en for e in errors)

    check()


def test_age_rules_use_the_day_given():
    # A sanity check of the generator's own assumption: the newest generated birth date is old enough.
    latest = age_reference_day("next-fiscal-year-end", TODAY)
    assert latest - timedelta(days=365 * 60) < latest
