"""``thongthin saraban agency``: the installed command on a temporary data folder, as the operator scripts it.

add → update → list → import (Thai headers) → import again (nothing changes) → a wrong file (every wrong
line named, nothing kept) → a refused e-mail: one line and exit 1, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_serve import THONGTHIN, clean_environ
from tests.prepared import migrated_data


def test_add_list_and_import(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):
    environ = clean_environ(THONGTHIN_DATA=str(migrated_data(tmp_path_factory, tmp_path / "data")))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([THONGTHIN, *args], env=environ, capture_output=True, text=True, timeout=120)

    added = run(
        "saraban", "agency", "add", "--name", "กรมส่งเสริมการปกครองท้องถิ่น", "--code", "มท ๐๘๐๘",
        "--ministry", "15", "--department", "15008", "--email", "saraban@dla.go.th", "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["letter_code"] == "มท 0808"
    # Only the options given change; the rest stays.
    moved = run("saraban", "agency", "update", "มท 0808", "--ecms", "https://ecms.dla.go.th/ws", "--json")
    assert moved.returncode == 0, moved.stderr
    assert (json.loads(moved.stdout)["ecms_url"], json.loads(moved.stdout)["email"]) == (
        "https://ecms.dla.go.th/ws",
        "saraban@dla.go.th",
    )
    unknown = run("saraban", "agency", "update", "มท 9999", "--email", "saraban@x.go.th")
    assert unknown.returncode == 1 and "ไม่พบหน่วยงาน มท 9999" in unknown.stderr

    csv_file = tmp_path / "agencies.csv"
    csv_file.write_text(
        "ชื่อหน่วยงาน,ชื่อภาษาอังกฤษ,รหัสหนังสือ,รหัสกระทรวง,รหัสกรม,ที่อยู่ปลายทาง,อีเมลสารบรรณ\n"
        "เทศบาลตำบลแม่เหียะ,Mae Hia,ชม 52101,,,https://maehia.example.go.th/saraban,saraban@maehia.go.th\n"
        "อบต.หนองควาย,Nong Khwai,ชม 52102,,,,saraban@nongkhwai.go.th\n",
        encoding="utf-8",
    )
    first = run("saraban", "agency", "import", str(csv_file), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"created": 2, "updated": 0, "unchanged": 0}
    again = run("saraban", "agency", "import", str(csv_file))
    assert again.returncode == 0 and again.stdout.strip() == "0 added, 0 updated, 2 unchanged"

    listed = run("saraban", "agency", "list", "ชม", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["letter_code"] for a in json.loads(listed.stdout)["agencies"]] == ["ชม 52101", "ชม 52102"]
    by_name = run("saraban", "agency", "list", "แม่เหียะ")
    assert by_name.stdout.split("\t")[1:3] == ["ชม 52101", "external"]

    wrong = tmp_path / "wrong.csv"
    wrong.write_text(
        "name_th,letter_code,email\nอบต.ใหม่,ชม 52199,saraban@new.go.th\n,ชม 5,info@bad.go.th\n",
        encoding="utf-8",
    )
    refused = run("saraban", "agency", "import", str(wrong))
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert all(f"{wrong}:3: " in line for line in lines), lines
    assert {line.split(f"{wrong}:3: ")[1].split(":")[0] for line in lines} == {
        "name_th",
        "letter_code",
        "email",
    }
    assert run("saraban", "agency", "list", "52199").stdout.strip() == ""

    bad_email = run(
        "saraban", "agency", "add", "--name", "x", "--code", "ชม 52103", "--email", "info@x.go.th"
    )
    assert bad_email.returncode == 1
    assert len(bad_email.stderr.strip().splitlines()) == 1
    assert "ต้องขึ้นต้นด้วย saraban" in bad_email.stderr
