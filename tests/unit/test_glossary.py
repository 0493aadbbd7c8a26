"""One term per thing: the glossary's banned variants are reported where they stand, and the
catalog, the locale files and the templates use none of them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.definitions import glossary
from thongthin.cli import main, wording_sources


def test_the_catalog_pages_and_documents_use_the_glossarys_terms():
    problems = glossary.check_files(wording_sources(None))
    assert [str(p) for p in problems] == []
    assert len(wording_sources(None)) > 40, "the catalog, the locale files and the templates are read"


def test_a_banned_variant_is_reported_at_its_pointer_or_its_line(tmp_path: Path):
    locale = tmp_path / "th.json"
    locale.write_text(
        json.dumps(
            {"a": "ขอบคุณที่ใช้บริการ คุณสมบัติครบ", "b": "ไม่พบแบบร่างของคุณ", "c": ["ยกเลิกคำขอ"]}, ensure_ascii=False
        ),
        encoding="utf-8",
    )
    template = tmp_path / "bill.html.j2"
    template.write_text("<p>ที่อยู่</p>\n<p>บ้านเลขที่ 9 หมู่ {{ moo }}</p>\n", encoding="utf-8")
    found = [str(p) for p in glossary.check_files([(locale, True), (template, True)])]
    assert found[0].endswith("th.json:/b: 'คุณ': write 'ท่าน' instead (Citizens are addressed as ท่าน.)")
    assert any(
        line.endswith(
            "th.json:/c/0: 'ยกเลิกคำขอ': write 'ถอนคำขอ' instead "
            "(An applicant withdraws (ถอน) an application; the office does not cancel it.)"
        )
        for line in found
    )
    assert any("bill.html.j2:2: 'หมู่': write 'หมู่ที่'" in line for line in found)
    assert len(found) == 3, "ขอบคุณ and คุณสมบัติ are words of their own"
    # Officers' pages may say คุณ: the citizen terms do not bind them.
    assert [str(p) for p in glossary.check_files([(locale, False)])] == [found[1]]


def test_check_reports_the_glossary_for_a_service_folder(tmp_path: Path):
    from shutil import copytree

    from tests.conftest import CATALOG, EXAMPLES

    root = tmp_path / "catalog"
    root.mkdir()
    (root / "roles.json").write_text((CATALOG / "roles.json").read_text(encoding="utf-8"), encoding="utf-8")
    copytree(CATALOG / "complaint", root / "complaint")
    workflow = root / "complaint" / "workflow.json"
    workflow.write_text(workflow.read_text(encoding="utf-8").replace("ท่านได้ถอน", "คุณได้ถอน"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(root / "complaint"), "--examples", str(EXAMPLES)])
    assert result.exit_code == 1
    assert "workflow.json:/states/withdrawn/applicant_message/th: 'คุณ': write 'ท่าน'" in result.output
