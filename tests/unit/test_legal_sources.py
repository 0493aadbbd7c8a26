"""Every law the catalog cites has an entry in schemas/meta/legal_sources.json, with its source.

An entry names the law as the service's legal_basis does, says which sections the service relies
on, where it was checked and whether the text itself was read (verified); one that was not carries
a note saying what stays open.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import CATALOG

SOURCES = Path(__file__).resolve().parents[2] / "schemas" / "meta" / "legal_sources.json"


def entries() -> list[dict[str, Any]]:
    return json.loads(SOURCES.read_text(encoding="utf-8"))["entries"]


def cited() -> dict[str, list[str]]:
    """The Thai title of each law in a service's legal_basis, with the services citing it."""
    found: dict[str, list[str]] = {}
    for path in sorted(Path(CATALOG).glob("*/service.json")):
        for basis in json.loads(path.read_text(encoding="utf-8"))["legal_basis"]:
            found.setdefault(basis["title"]["th"], []).append(path.parent.name)
    return found


def test_every_cited_law_has_an_entry() -> None:
    titles = {entry["title_th"] for entry in entries()}
    missing = {title: services for title, services in cited().items() if title not in titles}
    assert not missing


def test_entries_are_complete() -> None:
    ids = [entry["id"] for entry in entries()]
    assert len(ids) == len(set(ids))
    citing = cited()
    for entry in entries():
        assert re.fullmatch(r"[a-z0-9-]+", entry["id"])
        assert isinstance(entry["verified"], bool)
        assert entry["title_th"] in citing, entry["id"]
        assert sorted(entry["cited_by"]) == sorted(citing[entry["title_th"]]), entry["id"]
        if not entry["verified"]:
            assert entry["note"].strip(), f"{entry['id']}: an unverified reference says what stays open"
        for source in entry["sources"]:
            assert source.strip()


# A law named in a citizen or officer text: the Act, decree, regulation or rule and its year.
LAW_NAME = re.compile(r"(?:พระราชบัญญัติ|พระราชกฤษฎีกา|กฎกระทรวง|ระเบียบ)[^,()\"\n]*?พ\.ศ\. ?\d{4}")


def thai_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in thai_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in thai_texts(v)]
    return [value] if isinstance(value, str) else []


def test_every_law_named_in_a_text_has_an_entry() -> None:
    """The laws the catalog's texts name (a refusal's right of appeal under s. 44, a fee's Act) are
    recorded too, not only the legal_basis; a shortened name matches the entry whose title holds
    all of its words."""
    titles = [entry["title_th"] for entry in entries()]
    named: dict[str, set[str]] = {}
    for path in sorted(Path(CATALOG).glob("*/*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if path.name == "service.json":
            document = {key: value for key, value in document.items() if key != "legal_basis"}
        for text in thai_texts(document):
            for name in LAW_NAME.findall(text):
                named.setdefault(name, set()).add(path.parent.name)
    assert "พระราชบัญญัติวิธีปฏิบัติราชการทางปกครอง พ.ศ. 2539" in named
    missing = {
        name: sorted(services)
        for name, services in named.items()
        if not any(all(word in title for word in name.split()) for title in titles)
    }
    assert not missing


def test_no_gazette_reference_without_a_source() -> None:
    for entry in entries():
        if "gazette" in entry:
            assert entry["sources"], entry["id"]


def test_the_ministerial_regulation_no_70_stays_unverified() -> None:
    """Its text was not found: the permit's fee rate under it is not stated as checked."""
    (entry,) = [e for e in entries() if e["id"] == "mr-70-2564"]
    assert entry["verified"] is False
    assert "gazette" not in entry
