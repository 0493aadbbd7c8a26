"""The map step stays light and usable: compressed assets, tiles from a configured provider or
none at all, the town's own area first, a message that reads as a sentence."""

from __future__ import annotations

import dataclasses
import gzip
import re
from typing import Any

from tests.integration.test_portal import citizen_of, make_town
from thongthin.app import create_app

COMPLAINT = "complaint"


def _map_step(app: Any, town: Any) -> tuple[Any, str]:
    citizen = citizen_of(app, town)
    citizen.start(COMPLAINT)
    location = f"/{town.slug}/services/{COMPLAINT}/apply/location"
    citizen.get(location)
    return citizen, location


def test_the_map_step_weighs_little_compressed(app: Any, platform: Any):
    town = make_town(platform, "MP")
    citizen, _location = _map_step(app, town)
    html = citizen.html
    assets = re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css)(?:\?v=[0-9a-f]+)?)"', html)
    assert any("leaflet.js" in a for a in assets)
    total = len(html.encode())
    for asset in assets:
        plain = citizen.client.get(asset)
        packed = citizen.client.get(asset, headers={"Accept-Encoding": "gzip, br"})
        assert packed.status_code == 200
        if len(plain.data) >= 1024:
            assert (
                packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
            )
            assert gzip.decompress(packed.data) == plain.data
        total += len(packed.data)
    # (~190 kB uncompressed before; what a phone downloads now, page and assets together.)
    print(f"map step first load: {total:,} bytes compressed")
    assert total < 90_000, f"the map step first load is {total:,} bytes"


def test_tiles_come_from_the_configured_provider_or_there_is_no_map(app: Any, platform: Any):
    town = make_town(platform, "MQ")
    citizen, _ = _map_step(app, town)
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in citizen.html
    assert (
        "https://tile.openstreetmap.org"
        in citizen.client.get(f"/{town.slug}/").headers["Content-Security-Policy"]
    )
    own = dataclasses.replace(platform.settings, tile_url="https://tiles.example.go.th/th/{z}/{x}/{y}.png")
    other = create_app(own, platform_=platform)
    page, _ = _map_step(other, town)
    assert 'data-tile-url="https://tiles.example.go.th/th/{z}/{x}/{y}.png"' in page.html
    policy = page.client.get(f"/{town.slug}/").headers["Content-Security-Policy"]
    assert "https://tiles.example.go.th" in policy and "openstreetmap" not in policy
    off = create_app(dataclasses.replace(platform.settings, tile_url="off"), platform_=platform)
    bare, _location = _map_step(off, town)
    assert "leaflet" not in bare.html and "data-map-pin" not in bare.html
    assert 'id="f-location-point"' in bare.html, "latitude and longitude boxes stay usable"


def test_the_map_opens_on_the_town_and_a_missing_pin_reads_as_a_sentence(app: Any, platform: Any):
    town = make_town(platform, "MR")
    platform.db(
        type(town).filter(id=town.id).update(settings={**town.settings, "map_centre": [18.7468, 98.9661]})
    )
    citizen, location = _map_step(app, town)
    assert 'data-centre="18.746800,98.966100"' in citizen.html
    citizen.post(location, {"action": "continue"})
    assert "กรุณาปักหมุดตำแหน่งบนแผนที่ หรือกรอกละติจูดและลองจิจูด" in citizen.html
    assert "กรุณากรอกปักหมุด" not in citizen.html


def test_a_date_error_marks_only_the_box_that_is_wrong(app: Any, platform: Any):
    from renderers.forms import part_name

    town = make_town(platform, "MT")
    citizen = citizen_of(app, town)
    citizen.start("elderly-allowance")
    url = f"/{town.slug}/services/elderly-allowance/apply/applicant"
    pointer = "/applicant/birth_date"
    citizen.get(url)
    citizen.post(
        url,
        {
            part_name(pointer, "day"): "15",
            part_name(pointer, "month"): "",
            part_name(pointer, "year"): "2495",
        },
    )
    marked = re.findall(
        r'id="(f-applicant-birth_date(?:-\w+)?)" name="[^"]+" type="text" value="[^"]*" inputmode="numeric" maxlength="\d" autocomplete="[^"]*" aria-invalid="true"',
        citizen.html,
    )
    assert marked == ["f-applicant-birth_date-month"], marked


def test_long_answers_say_their_limit_without_script(app: Any, platform: Any):
    town = make_town(platform, "MU")
    citizen = citizen_of(app, town)
    citizen.start("general-petition")
    citizen.get(f"/{town.slug}/services/general-petition/apply/detail")
    assert re.search(r"พิมพ์ได้ไม่เกิน [0-9,]+ ตัวอักษร", citizen.html)
    assert 'data-maxlength="' in citizen.html and "data-char-count" in citizen.html
