"""Passwords are hashed with argon2id at the library's costs unless the environment lowers them."""

from __future__ import annotations

import pytest

from engine.services.accounts import password_hasher


def test_an_installation_hashes_at_the_standard_costs() -> None:
    hashed = password_hasher({}).hash("รหัสผ่านที่ยาวพอสมควร")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_test_suite_may_lower_the_costs_and_old_hashes_still_verify() -> None:
    light = password_hasher({"THONGTHIN_ARGON2_TIME_COST": "1", "THONGTHIN_ARGON2_MEMORY_KIB": "1024"})
    hashed = light.hash("รหัสผ่านที่ยาวพอสมควร")
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=4$")
    standard = password_hasher({})
    assert standard.verify(hashed, "รหัสผ่านที่ยาวพอสมควร")
    assert standard.check_needs_rehash(hashed)  # redone at the standard costs at the next login


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("THONGTHIN_ARGON2_TIME_COST", "0"),
        ("THONGTHIN_ARGON2_TIME_COST", "eleven"),
        ("THONGTHIN_ARGON2_MEMORY_KIB", "8"),
        ("THONGTHIN_ARGON2_MEMORY_KIB", "99999999"),
    ],
)
def test_a_cost_out_of_range_is_named(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        password_hasher({name: value})
