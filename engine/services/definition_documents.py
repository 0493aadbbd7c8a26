"""A service version as one JSON document, for front ends other than the portal.

What the portal shows of a service, as data: the form's JSON Schema, its steps (widgets, labels,
help, conditions), the files it asks for, the fees with the municipality's local rates applied
(:func:`engine.payments.with_local_rates`, as bills and the portal apply them), the time limit and
its basis, and the privacy notice. The document is a pure function of the published version and
the municipality's parameters, so a hash of it is a strong ETag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from engine.definitions import Catalog, ServiceDefinition
from engine.definitions.model import Text
from engine.forms.widgets import ADDRESS_PARTS, ThaiAddress
from engine.payments import with_local_rates

# The lawful bases of the PDPA a service may name, as the privacy notice states them (th, en).
LAWFUL_BASES = {
    "public_task": (
        "การปฏิบัติหน้าที่เพื่อประโยชน์สาธารณะหรือการใช้อำนาจรัฐที่ได้รับมอบ (มาตรา 24 (4) พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562)",
        "Performing a task in the public interest or exercising official authority (PDPA B.E. 2562, s. 24(4))",
    ),
    "legal_obligation": (
        "การปฏิบัติตามกฎหมาย (มาตรา 24 (6) พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562)",
        "Complying with a legal obligation (PDPA B.E. 2562, s. 24(6))",
    ),
    "contract": (
        "การปฏิบัติตามสัญญา (มาตรา 24 (3) พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562)",
        "Performing a contract (PDPA B.E. 2562, s. 24(3))",
    ),
    "consent": (
        "ความยินยอมของท่าน (มาตรา 19 พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562)",
        "Your consent (PDPA B.E. 2562, s. 19)",
    ),
    "vital_interest": (
        "การป้องกันหรือระงับอันตรายต่อชีวิต ร่างกาย หรือสุขภาพ (มาตรา 24 (2) พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562)",
        "Protecting someone's life, body or health (PDPA B.E. 2562, s. 24(2))",
    ),
    "legitimate_interest": (
        "ประโยชน์โดยชอบด้วยกฎหมาย (มาตรา 24 (5) พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562)",
        "Legitimate interests (PDPA B.E. 2562, s. 24(5))",
    ),
}


def lawful_basis_title(basis: str) -> Text:
    """The lawful basis ``basis`` in words (the code itself when it is not one of the known ones)."""
    th, en = LAWFUL_BASES.get(basis, (basis, basis))
    return Text(th=th, en=en)


def _dump(value: Any, *, nulls: bool = False) -> Any:
    """A part of the definition as JSON; unset optional keys left out unless ``nulls`` (where null says something)."""
    return value.model_dump(mode="json", by_alias=True, exclude_none=not nulls)


def summary(definition: ServiceDefinition) -> dict[str, Any]:
    """What a list of services shows of one: id, version, titles, summary, category."""
    spec = definition.service
    return {
        "id": spec.id,
        "version": spec.version,
        "title": _dump(spec.title),
        "summary": _dump(spec.summary),
        "category": spec.category,
    }


def local_fees(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The local fee rates of a municipality's parameters of a service (fee id -> replacements)."""
    return dict((parameters or {}).get("fees") or {})


def document(definition: ServiceDefinition, parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The whole version as a JSON document; with ``parameters`` (a municipality's), its local rates applied."""
    spec = definition.service
    rates = local_fees(parameters)
    fees = []
    for fee in spec.fees:
        # Only fees marked local take a municipality's rates (enabling a service refuses others).
        charged = with_local_rates(fee, rates) if fee.local else fee
        # A fee keeps its nulls: a tier ``up_to`` null is the open-ended one.
        fees.append({**_dump(charged, nulls=True), "set_locally": fee.local and bool(rates.get(fee.id))})
    return {
        **summary(definition),
        "keywords": list(spec.keywords),
        "audience": list(spec.audience),
        "legal_basis": [_dump(basis) for basis in spec.legal_basis],
        "steps_for_applicant": [_dump(text) for text in spec.steps_for_applicant],
        "form": definition.form,
        "ui": _ui(definition),
        "attachments": [_dump(attachment) for attachment in spec.form_attachments()],
        "fees": fees,
        "sla": {**_dump(spec.sla), "maximum_is_law": spec.sla.maximum_is_law},
        "pdpa": {
            **_dump(spec.pdpa),
            "lawful_basis_title": _dump(lawful_basis_title(spec.pdpa.lawful_basis)),
        },
        "documents": [
            {"id": d.id, "title": _dump(d.title), **({"validity": d.validity} if d.validity else {})}
            for d in spec.documents
        ],
    }


def _with_parts(field: dict[str, Any]) -> dict[str, Any]:
    """A UI field as JSON; an address field also names its parts in the order the portal asks them,
    with their labels, so another front end asks them the same way."""
    if field.get("widget") == ThaiAddress.name:
        field["parts"] = [{"name": name, "label": {"th": th, "en": en}} for name, (th, en) in ADDRESS_PARTS]
    if field.get("item_fields"):
        field["item_fields"] = [_with_parts(inner) for inner in field["item_fields"]]
    return field


def _ui(definition: ServiceDefinition) -> dict[str, Any]:
    ui: dict[str, Any] = _dump(definition.ui)
    for step in ui.get("steps", []):
        step["fields"] = [_with_parts(field) for field in step.get("fields", [])]
    return ui


def catalog_listing(catalog: Catalog) -> list[dict[str, Any]]:
    """Every service of the national catalog (as its newest version names it) with its published versions."""
    return [
        {**summary(newest), "latest": newest.version, "versions": catalog.versions_of(newest.id)}
        for newest in catalog
    ]


def etag(content: Any) -> str:
    """A strong entity tag for ``content`` (JSON): the hash of its canonical form, quoted."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'
