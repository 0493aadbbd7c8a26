"""The installed ``thongthin`` command, run as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CATALOG, EXAMPLES, REQUIRED_SERVICES, edit_json

THONGTHIN = shutil.which("thongthin", path=str(Path(sys.executable).parent)) or "thongthin"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([THONGTHIN, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_check_of_the_shipped_catalog_is_clean():
    result = run("check", str(CATALOG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "7 service(s) checked" in result.stderr


def test_check_prints_one_line_per_problem_and_fails(tmp_path: Path):
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG, root)
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    edit_json(root / "complaint" / "workflow.json", lambda w: w["transitions"][0].update(to="nowhere"))
    edit_json(root / "garbage-fee" / "ui.json", lambda u: u["steps"][0]["fields"][0].update(pointer="/ghost"))
    result = run("check", "catalog", "--examples", "examples", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "catalog/complaint/workflow.json:/transitions/0/to: state 'nowhere' does not exist" in lines
    assert (
        "catalog/garbage-fee/ui.json:/steps/0/fields/0/pointer: /ghost is not a field of the schema" in lines
    )
    assert all(line.startswith("catalog/") and ":/" in line for line in lines)


def test_check_of_a_single_service_folder(tmp_path: Path):
    result = run("check", str(CATALOG / "building-permit"))
    assert result.returncode == 0, result.stdout
    assert "1 service(s) checked" in result.stderr


def test_validate_a_valid_example():
    example = sorted((EXAMPLES / "building-permit").glob("valid-*.json"))[0]
    result = run("validate", "building-permit", str(example))
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""


def test_validate_reports_pointer_and_thai_message_then_english():
    example = EXAMPLES / "building-permit" / "invalid-floor-area-over-150.json"
    thai = run("validate", "building-permit", str(example))
    english = run("validate", "building-permit", str(example), "--lang", "en")
    assert thai.returncode == english.returncode == 1
    [line_th] = thai.stdout.splitlines()
    [line_en] = english.stdout.splitlines()
    pointer, message = line_th.split(": ", 1)
    assert pointer.startswith("/building/") and "150" in message
    assert any("\u0e00" <= c <= "\u0e7f" for c in message)
    assert line_en.startswith(pointer + ": ") and "150" in line_en


def test_validate_against_a_schema_file(tmp_path: Path):
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps(
            {
                "type": "object",
                "required": ["national_id", "phone"],
                "properties": {
                    "national_id": {
                        "type": "string",
                        "format": "thai-national-id",
                        "title": "เลขประจำตัวประชาชน",
                    },
                    "phone": {"type": "string", "format": "thai-phone"},
                },
            }
        ),
        encoding="utf-8",
    )
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text('{"national_id": "3100600445635", "phone": "053123456"}', encoding="utf-8")
    bad.write_text('{"national_id": "3100600445636"}', encoding="utf-8")
    assert run("validate", "--schema", str(schema), str(good)).returncode == 0
    result = run("validate", "--schema", str(schema), str(bad))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("/national_id: เลขประจำตัวประชาชนไม่ถูกต้อง")
    assert lines[1].startswith("/phone: ")
    assert len(lines) == 2


@pytest.mark.parametrize(
    "args,words",
    [
        (("validate", "no-such-service", "x.json"), "unknown service 'no-such-service'"),
        (("validate", "building-permit", "missing.json"), "missing.json: no such file"),
        (("graph", "no-such-service"), "unknown service 'no-such-service'"),
        (("validate", "building-permit"), "give SERVICE_ID and DATA, or --schema"),
    ],
)
def test_bad_input_gets_a_one_line_error_not_a_traceback(args, words, tmp_path: Path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert words in result.stderr


def test_validate_reports_broken_json(tmp_path: Path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"applicant": ', encoding="utf-8")
    result = run("validate", "building-permit", str(broken))
    assert result.returncode == 1
    assert "invalid JSON at line 1" in result.stderr and "Traceback" not in result.stderr


def test_graph_prints_a_mermaid_state_diagram():
    result = run("graph", "building-permit")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert any(line.strip().startswith("[*] --> ") for line in lines)
    assert any(line.strip().endswith("--> [*]") for line in lines)
    assert any("all of engineer, planner" in line for line in lines), "parallel approval is shown"
    english = run("graph", "building-permit", "--lang", "en").stdout
    assert english != result.stdout


def test_the_catalog_is_published_listed_exported_diffed_and_enabled(tmp_path: Path):
    from tests.e2e.test_serve import SEED, clean_environ

    environ = clean_environ(THONGTHIN_DATA=str(tmp_path / "data"), SECRET_KEY="test-catalog")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([THONGTHIN, *args], capture_output=True, text=True, env=environ, timeout=180)

    not_set_up = cli("catalog", "list")
    assert not_set_up.returncode == 1 and "thongthin db upgrade" in not_set_up.stderr
    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "published general-petition" in upgraded.stderr
    seeded = subprocess.run(
        [sys.executable, "-c", SEED], env=environ, capture_output=True, text=True, timeout=180
    )
    assert seeded.returncode == 0, seeded.stderr

    rows = json.loads(cli("catalog", "list", "--json").stdout)
    assert {r["id"] for r in rows} >= REQUIRED_SERVICES
    petition = next(r for r in rows if r["id"] == "general-petition")
    [seed_version] = petition["versions"]
    assert seed_version["tenants"] == 1 and seed_version["published_by"] == "seed"
    assert "ขออนุญาต" in cli("catalog", "list").stdout

    folder = tmp_path / "petition"
    exported = cli("catalog", "export", "general-petition", str(folder))
    assert exported.returncode == 0, exported.stderr
    assert (folder / "service.json").is_file() and list((folder / "examples").glob("valid-*.json"))
    again = cli("catalog", "publish", str(folder))
    assert again.returncode == 0 and "already published" in again.stderr

    # A changed text under the same version number is refused; under the next patch it is published.
    edit_json(folder / "service.json", lambda s: s["summary"].update(th=s["summary"]["th"] + " ทุกเรื่อง"))
    refused = cli("catalog", "publish", str(folder))
    assert refused.returncode == 1 and "service.json:/version:" in refused.stdout
    old = seed_version["version"]
    major, minor, patch = old.split(".")
    newer = f"{major}.{minor}.{int(patch) + 1}"
    edit_json(folder / "service.json", lambda s: s.update(version=newer))
    published = cli("catalog", "publish", str(folder), "--changelog", "แก้ไขคำอธิบายบริการ", "--by", "analyst")
    assert published.returncode == 0, published.stdout + published.stderr
    diff = json.loads(cli("catalog", "diff", "general-petition", old, newer, "--json").stdout)
    assert diff["bump"] == "patch" and diff["suggested_version"] == newer

    # A broken folder: one line per problem, nothing published.
    edit_json(folder / "ui.json", lambda ui: ui["steps"][0]["fields"][0].update(pointer="/nobody"))
    edit_json(folder / "service.json", lambda s: s.update(version=f"{major}.{int(minor) + 1}.0"))
    broken = cli("catalog", "publish", str(folder))
    assert broken.returncode == 1
    assert f"{folder / 'ui.json'}:/steps/0/fields/0/pointer:" in broken.stdout

    enabled = cli("catalog", "enable", "maehia", f"general-petition@{newer}")
    assert enabled.returncode == 0, enabled.stderr
    assert f"general-petition {old} → {newer}" in enabled.stderr
    rows = json.loads(cli("catalog", "list", "--json").stdout)
    versions = next(r for r in rows if r["id"] == "general-petition")["versions"]
    assert [(v["version"], v["tenants"]) for v in versions] == [(old, 0), (newer, 1)]
    unknown = cli("catalog", "enable", "maehia", "general-petition@9.9.9")
    assert unknown.returncode == 2 and "9.9.9" in unknown.stderr


def test_qr_bill_prints_the_payload_last_and_writes_images(tmp_path: Path):
    png, svg = tmp_path / "bill.png", tmp_path / "bill.svg"
    result = run(
        "qr",
        "bill",
        "--biller-id",
        "0994000165510",
        "--ref1",
        "GB0001",
        "--ref2",
        "256911",
        "--amount",
        "60",
        "--png",
        str(png),
        "--svg",
        str(svg),
    )
    assert result.returncode == 0, result.stderr
    payload = result.stdout.strip().splitlines()[-1]
    from engine.payments.promptpay import parse

    fields = parse(payload)
    assert fields["30"]["01"] == "099400016551000" and fields["54"] == "60.00"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args,words",
    [
        (("qr", "promptpay", "--mobile", "0812"), "10 digits"),
        (("qr", "promptpay", "--mobile", "0812345678", "--amount", "-5"), "more than zero"),
        (("qr", "promptpay", "--mobile", "0812345678", "--amount", "1.2.3"), "not an amount"),
        (("qr", "bill", "--biller-id", "0994000165510", "--ref1", "bad ref"), "upper-case letters or digits"),
    ],
)
def test_qr_bad_input_is_one_line_not_a_traceback(args, words):
    result = run(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
