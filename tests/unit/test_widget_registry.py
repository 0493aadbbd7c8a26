"""Widgets are registered objects: ui.json may name any registered widget, and a widget added by an
installation is checked, drawn, read and written back like the built-in ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Blueprint, Flask, render_template_string

from engine.definitions import ServiceDefinition, check_path, meta
from engine.definitions.model import UiField
from engine.definitions.problems import display_path
from engine.forms import widgets
from renderers import forms, web
from renderers.answers import answers
from tests.conftest import edit_json, read
from thongthin.cli import main

SERVICE = "general-petition"
PAGE = '{% import "forms/fields.html" as form_fields with context %}{% for v in views %}{{ form_fields.field(v) }}{% endfor %}'
STARS = """{% macro stars(view) -%}
<fieldset class="stars" id="{{ view.id }}"><legend>{{ view.label }}</legend>
{%- for n in range(1, 6) %}<label><input type="radio" name="{{ view.name }}" value="{{ n }}"
{%- if view.value == n|string %} checked{% endif %}> {{ n }}</label>{% endfor %}
</fieldset>
{%- endmacro %}
"""


class Rating(widgets.Widget):
    """One to five stars: a whole number, drawn by a macro of its own, written as stars."""

    name = "rating"
    accepts = widgets.Accepts(frozenset({"integer"}))
    macro = "stars"
    template = "forms/rating.html"
    fieldset = True
    example = 4

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        return "★" * value if isinstance(value, int) and not isinstance(value, bool) else None


class Posted(dict[str, Any]):
    def getlist(self, key: str) -> list[Any]:
        value = self.get(key)
        return value if isinstance(value, list) else ([] if value is None else [value])


@pytest.fixture
def rating() -> Iterator[type[Rating]]:
    widgets.registry.register(Rating)
    try:
        yield Rating
    finally:
        widgets.registry.unregister(Rating.name)


def _ui_field(ui: dict[str, Any], step: str) -> dict[str, Any]:
    return next(s for s in ui["steps"] if s["id"] == step)


@pytest.fixture
def petition_with_rating(catalog_copy: Callable[..., tuple[Path, Path]]) -> tuple[Path, Path, Path]:
    """A copy of the general petition asking, on its petition page, how satisfied one was last time."""
    root, examples = catalog_copy(SERVICE)
    folder = root / SERVICE
    edit_json(
        folder / "form.json",
        lambda f: f["properties"].update(
            satisfaction={"title": "ความพึงพอใจ", "type": "integer", "minimum": 1, "maximum": 5}
        ),
    )
    edit_json(
        folder / "ui.json",
        lambda u: _ui_field(u, "petition")["fields"].append(
            {
                "pointer": "/satisfaction",
                "widget": "rating",
                "label": {"th": "ความพึงพอใจต่อบริการครั้งก่อน", "en": "How satisfied were you last time"},
            }
        ),
    )
    return root, examples, folder


def _problems(root: Path, examples: Path) -> list[str]:
    _catalog, problems = check_path(root, examples=examples)
    return [str(p) for p in problems]


def _definition(root: Path, examples: Path) -> ServiceDefinition:
    catalog, problems = check_path(root, examples=examples)
    assert problems == []
    return catalog.get(SERVICE)


def _page(views: list[forms.FieldView], templates: Path) -> str:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    web.init_app(app)
    # An installation brings its widget's macro in a template folder of its own.
    app.register_blueprint(Blueprint("rating_widget", __name__, template_folder=str(templates)))
    with app.test_request_context("/"):
        return render_template_string(PAGE, views=views, map_tiles=None)


def test_every_widget_ui_json_lists_is_registered_and_no_other() -> None:
    assert widgets.registry.names() == meta.widget_enum()
    assert (
        meta.validator(meta.UI).schema["$defs"]["field"]["properties"]["widget"]["enum"] == meta.widget_enum()
    )


def test_every_widget_gives_a_sample_answer_of_a_type_it_edits() -> None:
    item = {"pointer": "/name", "widget": "text", "label": {"th": "ชื่อ", "en": "Name"}}
    options = [{"value": "a", "label": {"th": "ก", "en": "A"}}]
    json_types = {bool: "boolean", int: "integer", str: "string", list: "array", dict: "object"}
    for widget in widgets.registry:
        ui = UiField.model_validate(
            {"pointer": "/x", "widget": widget.name, "label": {"th": "x", "en": "x"}, "options": options}
            | ({"item_fields": [item], "item_label": {"th": "คน", "en": "Person"}} if widget.repeats else {})
        )
        sample = widget.sample(ui)
        assert json_types[type(sample)] in widget.accepts.types, widget.name
        assert widgets.answer_text(ui, sample) != "ไม่ได้ระบุ", widget.name


def test_a_widget_nobody_registered_is_a_check_problem(petition_with_rating: tuple[Path, Path, Path]) -> None:
    root, examples, folder = petition_with_rating
    ui = read(folder / "ui.json")
    index = len(_ui_field(ui, "petition")["fields"]) - 1
    step = [s["id"] for s in ui["steps"]].index("petition")
    wanted = (
        f"{display_path(folder / 'ui.json')}:/steps/{step}/fields/{index}/widget: 'rating' is not one of ["
    )
    assert any(p.startswith(wanted) for p in _problems(root, examples)), _problems(root, examples)


def test_a_registered_widget_is_checked_drawn_read_and_written_back(
    rating: type[Rating], petition_with_rating: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    root, examples, _folder = petition_with_rating
    definition = _definition(root, examples)
    result = CliRunner().invoke(main, ["check", str(root / SERVICE), "--examples", str(examples)])
    assert result.exit_code == 0, result.output

    step = forms.find_step(definition, "petition")
    assert step is not None
    data = {"satisfaction": 3}
    views, _links = forms.step_view(definition, step, data)
    [stars] = [v for v in views if v.pointer == "/satisfaction"]
    assert (stars.macro, stars.template, stars.group) == ("stars", "forms/rating.html", True)
    (tmp_path / "templates" / "forms").mkdir(parents=True)
    (tmp_path / "templates" / "forms" / "rating.html").write_text(STARS, encoding="utf-8")
    html = _page(views, tmp_path / "templates")
    assert '<fieldset class="stars" id="f-satisfaction"><legend>ความพึงพอใจต่อบริการครั้งก่อน</legend>' in html
    assert '<input type="radio" name="/satisfaction" value="3" checked>' in html
    # The built-in widgets beside it are drawn by their own macros.
    assert '<input class="" id="f-petition-subject" name="/petition/subject" type="text"' in html

    parsed = forms.parse_step(definition, step, Posted({"/satisfaction": "๔"}), data)
    assert parsed.data["satisfaction"] == 4 and parsed.problems == []
    wrong = forms.parse_step(definition, step, Posted({"/satisfaction": "สี่ดาว"}), data)
    assert "satisfaction" not in wrong.data and wrong.raw == {"/satisfaction": "สี่ดาว"}
    [problem] = wrong.problems
    assert (problem.pointer, problem.keyword) == ("/satisfaction", "type")
    assert problem.message_en == "How satisfied were you last time must be a whole number"
    views, _links = forms.step_view(definition, step, wrong.data, errors=wrong.problems, raw=wrong.raw)
    [stars] = [v for v in views if v.pointer == "/satisfaction"]
    assert stars.value == "สี่ดาว" and stars.error == "ความพึงพอใจต่อบริการครั้งก่อนต้องเป็นจำนวนเต็ม"

    [shown] = [
        a for s in answers(definition, parsed.data, "en") for a in s.answers if a.pointer == "/satisfaction"
    ]
    assert shown.text == "★★★★"
    too_many = forms.step_errors(definition, step, {"satisfaction": 9})
    assert [(e.pointer, e.keyword) for e in too_many if e.pointer == "/satisfaction"] == [
        ("/satisfaction", "maximum")
    ]


def test_a_widget_on_a_field_it_cannot_edit_is_a_check_problem(
    rating: type[Rating], petition_with_rating: tuple[Path, Path, Path]
) -> None:
    root, examples, folder = petition_with_rating
    ui_file = display_path(folder / "ui.json")
    ui = read(folder / "ui.json")
    assert ui["steps"][0]["fields"][1]["pointer"] == "/petitioner/name/first_name"  # text, no format

    def widget_at_1(widget: str) -> list[str]:
        edit_json(folder / "ui.json", lambda u: u["steps"][0]["fields"][1].update(widget=widget))
        return [p for p in _problems(root, examples) if p.startswith(f"{ui_file}:/steps/0/fields/1")]

    assert widget_at_1("rating") == [
        f"{ui_file}:/steps/0/fields/1/widget: widget 'rating' cannot edit a value of type string"
    ]
    assert widget_at_1("date") == [
        f"{ui_file}:/steps/0/fields/1/widget: widget 'date' needs a field with format 'date'"
    ]
    assert widget_at_1("text") == []

    address_step = [s["id"] for s in ui["steps"]].index("address")
    edit_json(folder / "ui.json", lambda u: u["steps"][address_step]["fields"][0].update(widget="map-pin"))
    assert (
        f"{ui_file}:/steps/{address_step}/fields/0/widget: widget 'map-pin' edits "
        "urn:thongthin:types#/$defs/geo-point, not urn:thongthin:types#/$defs/thai-address"
    ) in _problems(root, examples)


def test_a_widget_name_is_registered_once(rating: type[Rating]) -> None:
    with pytest.raises(widgets.DuplicateWidget):
        widgets.registry.register(Rating)
    with pytest.raises(widgets.UnknownWidget, match="no widget 'stars'"):
        widgets.get("stars")


def test_each_widget_writes_its_answers_for_people() -> None:
    """What the check-your-answers page and the officer's desk show of an answer."""
    field = UiField.model_validate

    def text(widget: str, value: Any, language: str = "th", **more: Any) -> str:
        ui = field({"pointer": "/x", "widget": widget, "label": {"th": "x", "en": "x"}, **more})
        return widgets.answer_text(ui, value, language)

    options = {
        "options": [
            {"value": "a", "label": {"th": "ก", "en": "A"}},
            {"value": True, "label": {"th": "ใช่", "en": "Yes"}},
        ]
    }
    assert text("select", "a", "en", **options) == "A"
    assert text("checkboxes", ["a", "z"], **options) == "ก, z"
    assert text("radio", False) == "ไม่ใช่" and text("checkbox", True, "en") == "Yes"
    assert (
        text("date", "2026-01-15") == "15 มกราคม 2569"
        and text("date", "2026-01-15", "en") == "15 January 2026"
    )
    assert text("national-id", "1101700123456") == "1-1017-00123-45-6"
    assert text("phone", "0812345678") == "081-234-5678"
    assert text("map-pin", {"type": "Point", "coordinates": [98.9661, 18.7468]}) == "18.746800, 98.966100"
    assert text("map-pin", {"type": "Point"}, "en") == "Not given"
    assert text("file", [{"filename": "a.pdf"}, {"filename": "b.jpg"}]) == "a.pdf, b.jpg"
    assert text("number", 1200.0, "en", suffix={"th": "ตร.ม.", "en": "m²"}) == "1,200 m²"
    assert text("text", "") == "ไม่ได้ระบุ" and text("repeat", [{}, {}]) == "2"
    address = {"house_no": "9", "moo": 3, "province": "เชียงใหม่", "postcode": "50100"}
    assert text("thai-address", address) == "9 หมู่ 3 จังหวัดเชียงใหม่ 50100"


def test_the_studio_offers_a_registered_widget_that_says_how_to_start_a_field(rating: type[Rating]) -> None:
    from engine.definitions import editing

    assert "rating" not in editing.addable_widgets(), "no schema for a new field, so not offered"
    rating.new_field = MappingProxyType({"type": "integer", "minimum": 1, "maximum": 5})
    try:
        assert "rating" in editing.addable_widgets() and "rating" in editing.addable_widgets(in_items=True)
        documents = {
            "service.json": {},
            "form.json": {"type": "object", "properties": {}},
            "ui.json": {"steps": [{"id": "opinion", "title": {"th": "ความเห็น"}, "fields": []}]},
            "workflow.json": {},
        }
        spec = editing.FieldSpec(pointer="/stars", widget="rating", label_th="ความพึงพอใจ", label_en="Stars")
        changed = editing.put_field(documents, "opinion", spec)
        assert changed["form.json"]["properties"]["stars"] == {"type": "integer", "minimum": 1, "maximum": 5}
        assert editing.sample_value(spec) == Rating.example
    finally:
        del rating.new_field
