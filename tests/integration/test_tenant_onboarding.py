"""Onboarding: tenants created one at a time or from the national register, their first
administrator's one-time set-up link, and ``thongthin tenant`` run as the operator runs it.

The service and the set-up page run on the session's platform (SQLite, or PostgreSQL + S3),
with CSRF checks on; the command runs in child processes on a data folder of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.services import accounts, onboarding
from engine.services.errors import AuthenticationFailed, WeakPassword
from engine.store.models import AccountEvent, RoleGrant, SetupToken, Tenant, User
from tests.e2e.test_serve import THONGTHIN, clean_environ
from tests.prepared import migrated_data

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Long, unrelated words: zxcvbn scores it as hard to guess.
PASSWORD = "ช้างเผือกกินมะม่วงริมแม่น้ำปิง 2569"


@pytest.fixture(scope="module")
def csrf_on(app: Any) -> Any:
    """Form posts carry the token read from the page, as a browser's do."""
    before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = before


def unique_slug() -> str:
    return f"o{uuid.uuid4().hex[:10]}"


def unique_code() -> str:
    """A register code no other test of the session uses (the platform's database is shared)."""
    return f"9{uuid.uuid4().int % 10**9:09d}"


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def create(platform: Any, **overrides: Any) -> onboarding.CreatedTenant:
    slug = overrides.pop("slug", unique_slug())
    details: dict[str, Any] = {
        "name_th": "เทศบาลตำบลทดสอบ",
        "kind": "เทศบาลตำบล",
        "province": "เชียงใหม่",
        "admin_username": f"{slug}.admin",
    }
    return platform.db(onboarding.create_tenant(slug, **(details | overrides)))


def set_up(client: Any, url: str, password: str, again: str | None = None) -> Any:
    page = client.get(url)
    token = CSRF.search(text_of(page))
    assert token, (page.status_code, text_of(page)[:200])
    form = {"csrf_token": token.group(1), "password": password, "again": password if again is None else again}
    return client.post(url, data=form)


def log_in(client: Any, slug: str, username: str, password: str) -> Any:
    url = f"/{slug}/admin/login"
    token = CSRF.search(text_of(client.get(url)))
    assert token
    return client.post(url, data={"csrf_token": token.group(1), "username": username, "password": password})


# --- creating a tenant and its administrator -----------------------------------------------------


def test_a_new_tenant_and_its_administrator_whom_no_password_opens(platform: Any):
    code = unique_code()
    created = create(
        platform, kind=" อบต ", province="จังหวัดลำพูน", code=code, postcode="๕๑๐๐๐", district="เมืองลำพูน"
    )
    tenant = created.tenant
    assert (tenant.kind, tenant.kind_th, tenant.province) == ("subdistrict", "อบต.", "ลำพูน")
    assert (tenant.code, tenant.postcode, tenant.district) == (code, "51000", "เมืองลำพูน")
    assert re.fullmatch(r"[A-Z]{1,6}", tenant.reference_prefix)
    assert created.admin is not None and created.setup_token and created.setup_expires_at
    assert timedelta(days=6, hours=23) < created.setup_expires_at - datetime.now(UTC) <= timedelta(days=7)
    admin = created.admin
    assert platform.db(accounts.roles_of(admin)) == {"admin"}
    # Only the digest of the link is stored, never the link.
    stored = platform.db(SetupToken.get(user_id=admin.id))
    assert stored.token_hash != created.setup_token and created.setup_token not in stored.token_hash
    assert len(stored.token_hash) == 64 and stored.used_at is None
    for guess in ("", created.setup_token, "password"):
        with pytest.raises(AuthenticationFailed):
            platform.db(accounts.authenticate(tenant.slug, admin.username, guess, address="192.0.2.71"))


@pytest.mark.usefixtures("csrf_on")
def test_the_set_up_link_sets_the_password_once_then_fails(platform: Any, app: Any):
    created = create(platform)
    slug, username = created.tenant.slug, f"{created.tenant.slug}.admin"
    url = f"/{slug}/admin/setup/{created.setup_token}"
    client = app.test_client()

    page = client.get(url)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = text_of(page)
    assert "ตั้งรหัสผ่านสำหรับผู้ดูแลระบบ" in html and username in html and "เทศบาลตำบลทดสอบ" in html

    mismatch = set_up(client, url, PASSWORD, again=PASSWORD + "x")
    assert mismatch.status_code == 422 and "รหัสผ่านทั้งสองช่องไม่ตรงกัน" in text_of(mismatch)
    weak = set_up(client, url, "short")
    assert weak.status_code == 422 and "รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร" in text_of(weak)
    named = set_up(client, url, f"{username}-ต่อท้าย")
    assert named.status_code == 422 and "รหัสผ่านต้องไม่มีชื่อผู้ใช้" in text_of(named)
    without_token = client.post(url, data={"password": PASSWORD, "again": PASSWORD})
    assert without_token.status_code == 400  # no CSRF token: refused before the view

    # Refused passwords left the link good: the administrator tried again.
    done = set_up(client, url, PASSWORD)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/{slug}/admin/login")
    login_page = client.get(done.headers["Location"])
    assert "ตั้งรหัสผ่านเรียบร้อยแล้ว" in text_of(login_page)
    assert log_in(app.test_client(), slug, username, PASSWORD).status_code == 302

    again = client.get(url)
    assert again.status_code == 410 and "ถูกใช้ไปแล้ว" in text_of(again)
    form_token = CSRF.search(html)
    assert form_token
    replay = client.post(
        url, data={"csrf_token": form_token.group(1), "password": PASSWORD, "again": PASSWORD}
    )
    assert replay.status_code == 410
    with pytest.raises(onboarding.SetupTokenUsed):
        platform.db(onboarding.use_setup_token(created.setup_token or "", PASSWORD + " อีก"))
    user = platform.db(User.get(tenant_id=created.tenant.id, username=username))
    assert user.password_changed_at is not None
    kinds = platform.db(AccountEvent.filter(user_id=user.id).values_list("kind", flat=True))
    assert kinds == [accounts.PASSWORD_CHANGED]


@pytest.mark.usefixtures("csrf_on")
def test_an_expired_link_fails(platform: Any, app: Any):
    created = create(platform)
    token = created.setup_token or ""
    later = datetime.now(UTC) + onboarding.SETUP_LIFETIME + timedelta(minutes=1)
    with pytest.raises(onboarding.SetupTokenExpired):
        platform.db(onboarding.use_setup_token(token, PASSWORD, now=later))
    assert created.admin is not None
    platform.db(
        SetupToken.filter(user_id=created.admin.id).update(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )
    )
    page = app.test_client().get(f"/{created.tenant.slug}/admin/setup/{token}")
    assert page.status_code == 410 and "หมดอายุแล้ว" in text_of(page)
    with pytest.raises(onboarding.SetupTokenExpired):
        platform.db(onboarding.use_setup_token(token, PASSWORD))


@pytest.mark.usefixtures("csrf_on")
def test_unknown_links_and_links_of_another_tenant_find_nothing(platform: Any, app: Any):
    first, second = create(platform), create(platform)
    assert first.setup_token and first.admin
    client = app.test_client()
    elsewhere = client.get(f"/{second.tenant.slug}/admin/setup/{first.setup_token}")
    assert elsewhere.status_code == 404 and "ไม่พบลิงก์สำหรับตั้งรหัสผ่านนี้" in text_of(elsewhere)
    for bogus in ("x", "a" * 300, "..%2F..", first.setup_token[:-1]):
        assert client.get(f"/{first.tenant.slug}/admin/setup/{bogus}").status_code == 404, bogus
    with pytest.raises(onboarding.SetupTokenUnknown):
        platform.db(onboarding.use_setup_token(first.setup_token, PASSWORD, tenant=second.tenant))
    with pytest.raises(WeakPassword):
        platform.db(onboarding.use_setup_token(first.setup_token, "123"))
    # Neither refusal used the link up.
    assert platform.db(onboarding.setup_token_user(first.setup_token)).id == first.admin.id


def test_a_lost_link_is_replaced_and_a_set_up_account_is_never_handed_out_again(platform: Any):
    created = create(platform)
    slug, username = created.tenant.slug, f"{created.tenant.slug}.admin"
    invitation = platform.db(onboarding.invite_admin(slug, username))
    with pytest.raises(onboarding.SetupTokenUnknown):
        platform.db(onboarding.use_setup_token(created.setup_token or "", PASSWORD))
    platform.db(onboarding.use_setup_token(invitation.setup_token, PASSWORD))
    with pytest.raises(onboarding.AdminExists):
        platform.db(onboarding.invite_admin(slug, username))
    second = platform.db(onboarding.invite_admin(slug, f"{slug}.deputy"))
    assert platform.db(accounts.roles_of(second.user)) == {"admin"}


def test_create_refuses_bad_details_and_taken_slugs_and_codes(platform: Any):
    with pytest.raises(onboarding.InvalidTenant) as invalid:
        platform.db(
            onboarding.create_tenant(
                "Bad Slug", name_th="", kind="กทม.", province="", postcode="1234", admin_username="X"
            )
        )
    assert {p.field for p in invalid.value.problems} == {
        "slug",
        "kind",
        "name_th",
        "province",
        "postcode",
        "admin",
    }
    for reserved in ("api", "static", "-x", "x", "a" * 41):
        with pytest.raises(onboarding.InvalidTenant):
            create(platform, slug=reserved)
    code = unique_code()
    first = create(platform, code=code, admin_username=None)
    assert first.admin is None and first.setup_token is None
    with pytest.raises(onboarding.TenantExists):
        create(platform, slug=first.tenant.slug)
    with pytest.raises(onboarding.TenantCodeExists) as taken:
        create(platform, code=code)
    assert taken.value.slug == first.tenant.slug and taken.value.code == "tenant_code_exists"
    assert platform.db(Tenant.filter(code=code).count()) == 1


def test_reference_prefixes_stay_unique_and_letters_only(platform: Any):
    slugs = [f"prefixtest-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    made = [create(platform, slug=slug, admin_username=None).tenant for slug in slugs]
    prefixes = [t.reference_prefix for t in made]
    assert len(set(prefixes)) == 3
    assert all(re.fullmatch(r"PREF[A-Z]{0,2}", p) for p in prefixes), prefixes
    everyone = platform.db(Tenant.filter(reference_prefix__in=prefixes).count())
    assert everyone == 3


# --- the national register ---------------------------------------------------------------------


def register(rows: list[list[str]], *, thai: bool = True) -> bytes:
    header = (
        "รหัส,ประเภท,ชื่อ,จังหวัด,อำเภอ,ที่อยู่,รหัสไปรษณีย์"
        if thai
        else "code,kind,name,province,district,address,postcode"
    )
    lines = [header] + [
        ",".join(f'"{cell}"' if "\n" in cell or "," in cell else cell for cell in row) for row in rows
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def three_rows() -> list[list[str]]:
    return [
        [unique_code(), "เทศบาลนคร", "เทศบาลนครทดสอบ", "นครราชสีมา", "เมืองนครราชสีมา", "ถนนมหาดไทย", "30000"],
        [unique_code(), "อบต.", "องค์การบริหารส่วนตำบลทดสอบ", "ขอนแก่น", "ชุมแพ", "หมู่ 1\nตำบลชุมแพ", "40130"],
        [unique_code(), "อบจ.", "องค์การบริหารส่วนจังหวัดทดสอบ", "จังหวัดสงขลา", "เมืองสงขลา", "", "90000"],
    ]


def test_importing_three_register_rows_then_again(platform: Any):
    rows = three_rows()
    parsed = onboarding.read_register_csv(register(rows))
    assert [line for line, _ in parsed] == [2, 3, 5]  # the second row's address spans two lines
    result = platform.db(onboarding.import_tenants(parsed))
    assert result.created == [f"t{row[0]}" for row in rows] and result.skipped == []
    listed = {t["slug"]: t for t in platform.db(onboarding.list_tenants())}
    made = [listed[f"t{row[0]}"] for row in rows]
    assert [(t["kind"], t["kind_th"]) for t in made] == [
        ("municipality", "เทศบาลนคร"),
        ("subdistrict", "อบต."),
        ("provincial", "อบจ."),
    ]
    assert made[2]["province"] == "สงขลา" and all(t["services"] == 0 and t["created"] for t in made)
    assert len({t["reference_prefix"] for t in made}) == 3

    again = platform.db(onboarding.import_tenants(onboarding.read_register_csv(register(rows, thai=False))))
    assert again.created == [] and again.skipped == [row[0] for row in rows]
    assert platform.db(Tenant.filter(code__in=[row[0] for row in rows]).count()) == 3


def test_a_register_with_a_bad_row_stores_nothing_and_names_its_line(platform: Any):
    rows = three_rows()
    rows[1][1] = "สุขาภิบาล"  # no longer a kind of local administration
    rows[2][6] = "9000"
    with pytest.raises(onboarding.RegisterInvalid) as invalid:
        platform.db(onboarding.import_tenants(onboarding.read_register_csv(register(rows))))
    problems = [(p.line, p.field) for p in invalid.value.problems]
    assert problems == [(3, "ประเภท"), (5, "รหัสไปรษณีย์")]
    assert platform.db(Tenant.filter(code__in=[row[0] for row in rows]).count()) == 0


def test_register_rows_that_contradict_each_other_or_the_tenants(platform: Any):
    taken = create(platform, code=unique_code(), admin_username=None).tenant
    code = unique_code()
    rows = [
        {"code": code, "kind": "ทต.", "name": "เทศบาลตำบลซ้ำ", "province": "ลำปาง"},
        {"code": code, "kind": "ทต.", "name": "เทศบาลตำบลซ้ำ", "province": "ลำปาง"},
        {"code": unique_code(), "kind": "ทต.", "name": "x", "province": "ลำปาง", "slug": taken.slug},
        {"code": "", "kind": "", "name": "", "province": ""},  # an empty spreadsheet line: skipped
        {"code": "12-34", "kind": "ทต.", "name": "x", "province": "ลำปาง"},
    ]
    with pytest.raises(onboarding.RegisterInvalid) as invalid:
        platform.db(onboarding.import_tenants(rows))
    assert [(p.line, p.field) for p in invalid.value.problems] == [(3, "code"), (4, "slug"), (6, "code")]
    with pytest.raises(onboarding.RegisterInvalid) as no_header:
        platform.db(onboarding.import_tenants([{"รหัส": "1", "ชื่อ": "x"}]))
    [header] = no_header.value.problems
    assert header.line == 1 and "ประเภท" in header.message and "จังหวัด" in header.message
    assert platform.db(Tenant.filter(code=code).count()) == 0


def test_a_register_is_bounded(platform: Any):
    rows = ({"code": str(10**8 + n), "kind": "อบต.", "name": "x", "province": "x"} for n in range(10_001))
    with pytest.raises(onboarding.RegisterTooLarge):
        platform.db(onboarding.import_tenants(rows))
    big = b"code,kind,name,province\n" + b"1,x,x,x\n" * 10_001
    with pytest.raises(onboarding.RegisterTooLarge):
        onboarding.read_register_csv(big)
    with pytest.raises(onboarding.RegisterTooLarge):
        onboarding.read_register_csv(b"x" * (onboarding.MAX_REGISTER_BYTES + 1))
    windows_874 = "รหัส,ประเภท,ชื่อ,จังหวัด\n1,อบต.,ทดสอบ,ตาก\n".encode("cp874")
    assert onboarding.read_register_csv(windows_874)[0][1]["ชื่อ"] == "ทดสอบ"
    for nothing in (b"", "รหัส,ประเภท,ชื่อ,จังหวัด\n".encode()):  # no file, or a header alone
        with pytest.raises(onboarding.RegisterInvalid) as empty:
            onboarding.read_register_csv(nothing)
        assert empty.value.problems[0].message_th.startswith("ไม่พบรายชื่อหน่วยงานในไฟล์")
    assert platform.db(Tenant.filter(code=str(10**8)).count()) == 0


@pytest.mark.usefixtures("csrf_on")
def test_an_imported_tenant_gets_its_first_administrator_by_invitation(platform: Any, app: Any):
    code = unique_code()
    platform.db(
        onboarding.import_tenants([{"code": code, "kind": "อบต.", "name": "อบต.ทดสอบ", "province": "ตาก"}])
    )
    invitation = platform.db(onboarding.invite_admin(f"t{code}", "nayok"))
    client = app.test_client()
    assert set_up(client, f"/t{code}/admin/setup/{invitation.setup_token}", PASSWORD).status_code == 302
    assert log_in(app.test_client(), f"t{code}", "nayok", PASSWORD).status_code == 302
    grants = platform.db(RoleGrant.filter(user_id=invitation.user.id).values_list("role", flat=True))
    assert grants == ["admin"]


# --- the command -------------------------------------------------------------------------------


def thongthin(
    environ: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [THONGTHIN, *args], env=environ, capture_output=True, text=True, timeout=180, cwd=cwd
    )


@pytest.fixture(scope="module")
def operator(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a national operator with a migrated database of their own."""
    data = tmp_path_factory.mktemp("operator")
    environ = clean_environ(
        THONGTHIN_DATA=str(data), SECRET_KEY="test-onboarding", PUBLIC_URL="https://eservice.example.go.th/"
    )
    migrated_data(tmp_path_factory, data)
    return environ


def test_tenant_create_prints_the_set_up_link(operator: dict[str, str]):
    done = thongthin(
        operator,
        *("tenant", "create", "maehia", "--name", "เทศบาลเมืองแม่เหียะ", "--kind", "เทศบาลเมือง"),
        *("--province", "เชียงใหม่", "--name-en", "Mae Hia Town", "--district", "เมืองเชียงใหม่"),
        *("--code", "5500101", "--admin", "maehia.admin"),
    )
    assert done.returncode == 0, done.stderr
    first, link = done.stdout.strip().splitlines()
    assert first.startswith("created maehia: เทศบาลเมืองแม่เหียะ (เทศบาลเมือง, เชียงใหม่)")
    assert re.fullmatch(r"https://eservice\.example\.go\.th/maehia/admin/setup/[A-Za-z0-9_-]{43}", link)
    assert "maehia.admin" in done.stderr and "(Bangkok)" in done.stderr

    again = thongthin(operator, "tenant", "create", "maehia2", "--name", "x", "--kind", "อบต.", "--province", "x",
                      "--code", "5500101")  # fmt: skip
    assert again.returncode == 1 and "5500101" in again.stderr and "maehia" in again.stderr
    no_link = thongthin(operator, "tenant", "create", "plain", "--name", "อบต.ปลาย", "--kind", "อบต.",
                        "--province", "ตาก")  # fmt: skip
    assert no_link.returncode == 0 and "/admin/setup/" not in no_link.stdout


def test_tenant_import_and_list(operator: dict[str, str], tmp_path: Path):
    rows = [
        ["6300101", "เทศบาลนคร", "เทศบาลนครแม่สอด", "ตาก", "แม่สอด", "", "63110"],
        ["6300102", "อบต.", "องค์การบริหารส่วนตำบลท่าสายลวด", "ตาก", "แม่สอด", "", "63110"],
        ["6300103", "อบจ.", "องค์การบริหารส่วนจังหวัดตาก", "ตาก", "เมืองตาก", "", "63000"],
    ]
    good = tmp_path / "register.csv"
    good.write_bytes(register(rows))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(register([*rows[:2], ["6300104", "ไม่มี", "x", "ตาก", "", "", ""]]))

    refused = thongthin(operator, "tenant", "import", "bad.csv", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stdout.splitlines() == [
        "bad.csv:4: ประเภท: 'ไม่มี' is not one of เทศบาลนคร, เทศบาลเมือง, เทศบาลตำบล, อบต., อบจ."
    ]
    assert "nothing was imported" in refused.stderr

    created = thongthin(operator, "tenant", "import", str(good))
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "3 tenant(s) created, 0 skipped (already registered)"
    repeated = thongthin(operator, "tenant", "import", str(good))
    assert repeated.stdout.strip() == "0 tenant(s) created, 3 skipped (already registered)"

    listed = thongthin(operator, "tenant", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    tenants = {t["slug"]: t for t in json.loads(listed.stdout)}
    assert {"t6300101", "t6300102", "t6300103"} <= set(tenants)
    assert "t6300104" not in tenants
    assert tenants["t6300102"]["kind_th"] == "อบต." and tenants["t6300102"]["code"] == "6300102"
    table = thongthin(operator, "tenant", "list")
    assert any(line.startswith("t6300101") and "เทศบาลนครแม่สอด" in line for line in table.stdout.splitlines())

    missing = thongthin(operator, "tenant", "import", str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 1 and "nowhere.csv" in missing.stderr
