"""Each kind of mistake in a service definition is reported at the right file and pointer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.definitions import DefinitionError, check_path, load_catalog
from engine.definitions.problems import display_path
from tests.conftest import edit_json, read


def problems_in(root: Path, examples: Path) -> list[str]:
    _, problems = check_path(root, examples=examples)
    return [f"{display_path(p.file)}:{p.pointer}: {p.message}" for p in problems]


def expect(problems: list[str], file: Path, pointer: str, words: str) -> None:
    wanted = f"{display_path(file)}:{pointer}: "
    hits = [p for p in problems if p.startswith(wanted) and re.search(words, p)]
    assert hits, f"expected {wanted}…{words} among:\n" + "\n".join(problems)


@pytest.fixture
def petition(catalog_copy):
    root, examples = catalog_copy("general-petition")
    return root, examples, root / "general-petition"


@pytest.fixture
def garbage(catalog_copy):
    root, examples = catalog_copy("garbage-fee")
    return root, examples, root / "garbage-fee"


def test_the_copy_is_clean(petition):
    root, examples, _ = petition
    assert problems_in(root, examples) == []


def test_invalid_json_is_located(petition):
    root, examples, folder = petition
    (folder / "ui.json").write_text('{"steps": [', encoding="utf-8")
    expect(problems_in(root, examples), folder / "ui.json", "", r"invalid JSON at line 1")


def test_meta_schema_violation_is_located(petition):
    root, examples, folder = petition
    edit_json(folder / "service.json", lambda s: s["sla"].update(legal_maximum="15 days"))
    expect(problems_in(root, examples), folder / "service.json", "/sla/legal_maximum", "does not match")


def test_ui_pointer_must_exist_in_the_form(petition):
    root, examples, folder = petition
    edit_json(folder / "ui.json", lambda ui: ui["steps"][0]["fields"][0].update(pointer="/nobody/here"))
    expect(
        problems_in(root, examples),
        folder / "ui.json",
        "/steps/0/fields/0/pointer",
        "/nobody/here is not a field",
    )


def test_required_field_must_be_asked_somewhere(petition):
    root, examples, folder = petition
    ui = read(folder / "ui.json")
    removed = ui["steps"][0]["fields"][0]["pointer"]
    edit_json(folder / "ui.json", lambda u: u["steps"][0]["fields"].pop(0))
    schema_pointer = "".join(f"/properties/{s}" for s in removed.strip("/").split("/"))
    expect(problems_in(root, examples), folder / "form.json", schema_pointer, "not asked on any step")


def test_select_options_must_match_the_enum(petition):
    root, examples, folder = petition
    ui = read(folder / "ui.json")
    at = next(
        (i, j)
        for i, s in enumerate(ui["steps"])
        for j, f in enumerate(s["fields"])
        if f["widget"] in ("select", "radio")
    )

    def drop_first_option(u):
        u["steps"][at[0]]["fields"][at[1]]["options"].pop(0)

    edit_json(folder / "ui.json", drop_first_option)
    expect(
        problems_in(root, examples),
        folder / "ui.json",
        f"/steps/{at[0]}/fields/{at[1]}/options",
        "no label for the value",
    )


def test_unreachable_state(petition):
    root, examples, folder = petition

    def add_orphan(w):
        w["states"]["orphan"] = {
            "title": {"th": "กำพร้า", "en": "Orphan"},
            "applicant_message": {"th": "-", "en": "-"},
            "assignees": ["clerk"],
        }

    edit_json(folder / "workflow.json", add_orphan)
    expect(problems_in(root, examples), folder / "workflow.json", "/states/orphan", "cannot be reached")


def test_state_that_cannot_end(petition):
    root, examples, folder = petition

    def add_trap(w):
        w["states"]["trap"] = {
            "title": {"th": "กับดัก", "en": "Trap"},
            "applicant_message": {"th": "-", "en": "-"},
            "assignees": ["clerk"],
        }
        w["transitions"].append(
            {
                "action": "fall",
                "title": {"th": "ตก", "en": "Fall"},
                "from": w["initial"],
                "to": "trap",
                "roles": ["clerk"],
            }
        )

    edit_json(folder / "workflow.json", add_trap)
    expect(
        problems_in(root, examples), folder / "workflow.json", "/states/trap", "cannot reach any final state"
    )


def test_transition_to_and_from_must_exist(petition):
    root, examples, folder = petition
    edit_json(
        folder / "workflow.json", lambda w: w["transitions"][0].update({"to": "nowhere", "from": "limbo"})
    )
    problems = problems_in(root, examples)
    expect(problems, folder / "workflow.json", "/transitions/0/to", "'nowhere' does not exist")
    expect(problems, folder / "workflow.json", "/transitions/0/from", "'limbo' does not exist")


def test_roles_must_be_declared(petition):
    root, examples, folder = petition
    edit_json(folder / "workflow.json", lambda w: w["transitions"][0].update(roles=["wizard"]))
    expect(
        problems_in(root, examples),
        folder / "workflow.json",
        "/transitions/0/roles/0",
        "unknown role 'wizard'",
    )


def test_effects_must_be_registered_and_well_formed(petition):
    root, examples, folder = petition

    def bad_effects(w):
        w["transitions"][0]["effects"] = [
            {"type": "launch_rocket"},
            {"type": "issue_document", "document": "ghost"},
        ]

    edit_json(folder / "workflow.json", bad_effects)
    problems = problems_in(root, examples)
    expect(
        problems, folder / "workflow.json", "/transitions/0/effects/0/type", "unknown effect 'launch_rocket'"
    )
    expect(problems, folder / "workflow.json", "/transitions/0/effects/1/document", "no document 'ghost'")


def test_input_examples_must_fit_the_input_schema(petition):
    root, examples, folder = petition
    workflow = read(folder / "workflow.json")
    index = next(i for i, t in enumerate(workflow["transitions"]) if t.get("input", {}).get("required"))
    name = workflow["transitions"][index]["input"]["required"][0]
    edit_json(folder / "workflow.json", lambda w: w["transitions"][index]["input"].update(examples=[{}]))
    expect(
        problems_in(root, examples),
        folder / "workflow.json",
        f"/transitions/{index}/input/examples/0",
        f"'{name}' is a required",
    )


def test_fee_formulas_must_refer_to_real_fields(garbage):
    root, examples, folder = garbage
    service = read(folder / "service.json")
    index = next(i for i, f in enumerate(service["fees"]) if "field" in f)
    edit_json(folder / "service.json", lambda s: s["fees"][index].update(field="/no/such/field"))
    expect(
        problems_in(root, examples),
        folder / "service.json",
        f"/fees/{index}/field",
        "/no/such/field is not a field",
    )


def test_rate_classes_must_cover_the_enum(garbage):
    root, examples, folder = garbage
    service = read(folder / "service.json")
    index = next(i for i, f in enumerate(service["fees"]) if f["kind"] == "rate_class")
    dropped = next(iter(service["fees"][index]["rates"]))
    edit_json(folder / "service.json", lambda s: s["fees"][index]["rates"].pop(dropped))
    expect(
        problems_in(root, examples),
        folder / "service.json",
        f"/fees/{index}/rates",
        f"no rate for class '{dropped}'",
    )


def test_valid_example_that_fails_is_located_in_the_example(petition):
    root, examples, _ = petition
    path = sorted((examples / "general-petition").glob("valid-*.json"))[0]
    edit_json(path, lambda d: d["petitioner"].update(national_id="1234545678782"))
    expect(problems_in(root, examples), path, "/petitioner/national_id", "valid example fails")


def test_invalid_example_that_passes_is_reported(petition):
    root, examples, _ = petition
    valid = sorted((examples / "general-petition").glob("valid-*.json"))[0]
    (examples / "general-petition" / "invalid-not-really.json").write_bytes(valid.read_bytes())
    expect(
        problems_in(root, examples),
        examples / "general-petition" / "invalid-not-really.json",
        "",
        "passes validation",
    )


def test_load_catalog_refuses_a_broken_catalog(petition):
    root, examples, folder = petition
    edit_json(folder / "workflow.json", lambda w: w.update(initial="nowhere"))
    with pytest.raises(DefinitionError) as refused:
        load_catalog(root, examples=examples)
    assert any(p.pointer == "/initial" for p in refused.value.problems)


@pytest.fixture
def permit(catalog_copy):
    root, examples = catalog_copy("building-permit")
    return root, examples, root / "building-permit"


def test_document_templates_must_exist(permit):
    root, examples, folder = permit
    template = read(folder / "service.json")["documents"][0]["template"]
    (folder / template).unlink()
    expect(
        problems_in(root, examples),
        folder / "service.json",
        "/documents/0/template",
        f"{template} does not exist",
    )


def test_signer_roles_must_exist(permit):
    root, examples, folder = permit
    edit_json(folder / "service.json", lambda s: s["documents"][0]["signers"][0].update(role="notary"))
    expect(
        problems_in(root, examples),
        folder / "service.json",
        "/documents/0/signers/0/role",
        "unknown role 'notary'",
    )


def test_quorum_cannot_need_more_votes_than_roles(permit):
    root, examples, folder = permit
    workflow = read(folder / "workflow.json")
    index = next(i for i, t in enumerate(workflow["transitions"]) if "quorum" in t)

    def too_many(w):
        w["transitions"][index]["quorum"] = {"mode": "at_least", "count": 9}

    edit_json(folder / "workflow.json", too_many)
    expect(
        problems_in(root, examples),
        folder / "workflow.json",
        f"/transitions/{index}/quorum/count",
        "needs 9 votes",
    )


def test_service_id_must_match_its_folder(permit):
    root, examples, folder = permit
    edit_json(folder / "service.json", lambda s: s.update(id="building-permit-2"))
    expect(problems_in(root, examples), folder / "service.json", "/id", "differs from the folder name")


def test_sla_target_cannot_exceed_the_legal_maximum(permit):
    root, examples, folder = permit
    edit_json(folder / "service.json", lambda s: s["sla"].update(target="P1Y"))
    expect(
        problems_in(root, examples), folder / "service.json", "/sla/target", "longer than the legal maximum"
    )


def test_attachments_need_a_matching_file_widget(permit):
    root, examples, folder = permit
    edit_json(folder / "service.json", lambda s: s["attachments"][0].update(field="/building/floor_area"))
    problems = problems_in(root, examples)
    expect(problems, folder / "service.json", "/attachments/0/field", "must be a list of files")


def test_unknown_shared_type_is_located(permit):
    root, examples, folder = permit

    def bad_ref(form):
        form["properties"]["building"]["properties"]["floor_area"] = {
            "$ref": "urn:thongthin:types#/$defs/unicorn"
        }

    edit_json(folder / "form.json", bad_ref)
    expect(
        problems_in(root, examples),
        folder / "form.json",
        "/properties/building/properties/floor_area/$ref",
        "no shared type 'unicorn'",
    )


def test_unknown_format_is_a_meta_schema_problem(permit):
    root, examples, folder = permit
    edit_json(
        folder / "form.json",
        lambda f: f["properties"]["building"]["properties"]["floor_area"].update(format="area"),
    )
    expect(
        problems_in(root, examples),
        folder / "form.json",
        "/properties/building/properties/floor_area/format",
        "'area' is not one of",
    )


def test_widget_must_fit_the_field_type(permit):
    root, examples, folder = permit
    ui = read(folder / "ui.json")
    at = next(
        (i, j)
        for i, s in enumerate(ui["steps"])
        for j, f in enumerate(s["fields"])
        if f["pointer"] == "/building/floor_area"
    )
    edit_json(folder / "ui.json", lambda u: u["steps"][at[0]]["fields"][at[1]].update(widget="checkbox"))
    expect(
        problems_in(root, examples),
        folder / "ui.json",
        f"/steps/{at[0]}/fields/{at[1]}/widget",
        "cannot edit a value of type",
    )


def test_a_data_role_must_point_at_a_field_of_the_form(garbage):
    root, examples, folder = garbage
    edit_json(folder / "service.json", lambda s: s["data_roles"].update(phone="/contact/telephone"))
    expect(
        problems_in(root, examples), folder / "service.json", "/data_roles/phone", "not a field of form.json"
    )


def test_a_data_role_must_be_asked_with_its_widget(garbage):
    root, examples, folder = garbage
    edit_json(folder / "service.json", lambda s: s["data_roles"].update(phone="/contact/line_id"))
    expect(
        problems_in(root, examples),
        folder / "service.json",
        "/data_roles/phone",
        "must be asked with the phone widget",
    )
    edit_json(
        folder / "service.json",
        lambda s: s["data_roles"].update(phone="/contact/phone", start_month="/contact/email"),
    )
    expect(problems_in(root, examples), folder / "service.json", "/data_roles/start_month", "date widget")


def test_a_name_role_must_be_a_name_or_text(garbage):
    root, examples, folder = garbage
    edit_json(
        folder / "service.json",
        lambda s: s["data_roles"].update(applicant_name=["/account_holder/name", "/premises/units"]),
    )
    expect(
        problems_in(root, examples), folder / "service.json", "/data_roles/applicant_name/1", "neither a name"
    )
