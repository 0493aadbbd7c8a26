"""A municipality's own signing keys: set in the console, checked whole, used for what it issues next.

The administrator uploads a PKCS#12 file of the development PKI the platform trusts (an
officer certificate made for this test, not the platform's key of the role) through Console →
Signing keys with the test client, CSRF checks on. Wrong passwords, files that are not
PKCS#12, certificates that are self-made, expired or for no key, over-large files, roles that
sign nothing here and token labels without a token are refused with the Thai message and
nothing stored; another municipality's administrator neither sees nor changes the key; a
document issued after the upload is signed with that certificate (its serial, read with
pyHanko, and the platform's verifier says valid), and after removal with the platform's key
again. ``thongthin signing key`` does the same from the command line.
"""

from __future__ import annotations

import io
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from engine.services import accounts, signing_keys, tenants
from engine.services.effects import run_pending
from engine.store.models import IssuedDocument, Submission, TenantSigningKey
from engine.thaidate import format_date
from signing.pki import DevPki, DevPkiServer, Officer, ensure_dev_pki
from signing.verify import verify_pdf
from tests.e2e.test_serve import THONGTHIN, clean_environ
from tests.integration.test_admin import Town, csrf_on, csrf_token, make_town, officer_client, text_of  # noqa: F401
from tests.integration.test_issuing import approved_submission
from tests.prepared import migrated_data
from thongthin.demo import DEMO_PASSWORD
from thongthin.runners import runners_for

FOOD = "food-premises-notification"
ROLE = "public_health_officer"  # signs the food-premises certificate
MUNICIPALITY = "เทศบาลตำบลทดสอบกุญแจลงนาม"
PLATFORM_SIGNER = "นายลงนาม ด้วยกุญแจของระบบ"
OWN_SIGNER = "นางสาวกิ่งแก้ว กุญแจของเทศบาล"
PAGE = "/{slug}/admin/console/signing"


@dataclass
class Place:
    town: Town
    issuing: dict[str, Any]  # what tests.integration.test_issuing.approved_submission takes
    pki: DevPki
    own_p12: bytes
    password: bytes

    @property
    def page(self) -> str:
        return PAGE.format(slug=self.town.slug)

    def stored(self, platform: Any) -> list[TenantSigningKey]:
        return platform.db(TenantSigningKey.filter(tenant_id=self.town.tenant.id))


@pytest.fixture(scope="module")
def place(platform: Any) -> Iterator[Place]:
    """A municipality offering the food-premises service, an officer per role, and the platform's PKI
    with a key for its certificate's signer plus one more certificate the administrator will upload."""
    slug = f"k{uuid.uuid4().hex[:8]}"
    definition = platform.catalog.get(FOOD)

    async def setup() -> tuple[Any, dict[str, Any]]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=MUNICIPALITY,
            name_en="Signing Key Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="SK",
            address_th="ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่",
        )
        await tenants.enable_service(tenant, definition)
        acting = {r for t in definition.workflow.transitions for r in t.roles}
        roles = (acting | {ROLE, "admin"}) - {"applicant", "system"}
        users = {
            role: await accounts.create_user(tenant, f"{slug}.{role}", DEMO_PASSWORD, f"สมศรี {role}", [role])
            for role in sorted(roles)
        }
        return tenant, users

    tenant, users = platform.db(setup())
    officers = [
        Officer(slug, ROLE, PLATFORM_SIGNER, MUNICIPALITY),
        # Issued by the same trusted CA, but not the platform's key of any role of this town.
        Officer(f"{slug}-own", ROLE, OWN_SIGNER, MUNICIPALITY),
    ]
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    town = Town(
        slug,
        tenant,
        users={role: user.username for role, user in users.items()},
        ids={user.username: user.id for user in users.values()},
    )
    issuing = {"tenant": tenant, "users": users, "definition": definition}
    own = pki.officer(f"{slug}-own", ROLE).p12.read_bytes()
    try:
        yield Place(town, issuing, pki, own, pki.p12_password())
    finally:
        server.stop()


def upload(client: Any, place: Place, content: bytes, password: bytes | str, role: str = ROLE) -> Any:
    secret = password.decode() if isinstance(password, bytes) else password
    return client.post(
        f"{place.page}/p12",
        data={
            "csrf_token": csrf_token(client, place.page),
            "role": role,
            "password": secret,
            "p12": (io.BytesIO(content), "officer.p12"),
        },
        content_type="multipart/form-data",
    )


def certificate_serial(p12: bytes, password: bytes) -> int:
    certificate = pkcs12.load_pkcs12(p12, password).cert
    assert certificate is not None
    return certificate.certificate.serial_number


def signer_serials(pdf: bytes) -> list[int]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return [s.signer_cert.serial_number for s in PdfFileReader(io.BytesIO(pdf)).embedded_signatures]


def issue_certificate(platform: Any, place: Place) -> bytes:
    """Walk a notification to approval, let the worker issue the certificate, return the PDF."""
    submission: Submission = approved_submission(platform, place.issuing)
    platform.db(run_pending(runners_for(platform), limit=10_000))
    [document] = platform.db(IssuedDocument.filter(submission=submission))
    assert document.status == "issued", document.status
    return platform.blobs.get(document.blob_key)


# --- certificates the platform must refuse ---------------------------------------------------------


def p12_of(key: Any, certificate: Any, chain: list[Any], password: bytes = b"made-here") -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"signer", key, certificate, chain, serialization.BestAvailableEncryption(password)
    )


def signing_certificate(
    subject: str, issuer_name: cx509.Name, issuer_key: Any, key: Any, *, start: datetime, end: datetime
) -> cx509.Certificate:
    usage = cx509.KeyUsage(True, True, False, False, False, False, False, False, False)
    return (
        cx509.CertificateBuilder()
        .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(usage, critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def self_signed_p12() -> bytes:
    """A signing certificate that vouches for itself: valid dates and usage, no trusted issuer."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "ผู้ลงนามเอง")])
    now = datetime.now(UTC)
    certificate = signing_certificate(
        "ผู้ลงนามเอง", name, key, key, start=now - timedelta(days=1), end=now + timedelta(days=365)
    )
    return p12_of(key, certificate, [])


def expired_p12(pki: DevPki) -> bytes:
    """A certificate from the trusted tenant CA itself, but one that ran out a month ago."""
    ca_key = serialization.load_pem_private_key(
        (pki.directory / "keys" / "tenant-ca.key.pem").read_bytes(), password=None
    )
    ca = cx509.load_pem_x509_certificate((pki.directory / "certs" / "tenant-ca.cert.pem").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = signing_certificate(
        "นายหมดอายุ แล้ว",
        ca.subject,
        ca_key,
        key,
        start=now - timedelta(days=400),
        end=now - timedelta(days=30),
    )
    return p12_of(key, certificate, [ca])


def certificate_only_p12(place: Place) -> bytes:
    """The right certificate and chain, without the private key."""
    _key, certificate, chain = pkcs12.load_key_and_certificates(place.own_p12, place.password)
    return pkcs12.serialize_key_and_certificates(
        b"signer", None, certificate, chain, serialization.BestAvailableEncryption(b"made-here")
    )


# --- the tests -----------------------------------------------------------------------------------


def test_the_page_lists_the_roles_that_sign_and_the_key_of_each(app: Any, platform: Any, place: Place):
    admin = officer_client(app, place.town, "admin")
    page = admin.get(place.page)
    html = text_of(page)
    assert page.status_code == 200
    titles = platform.catalog.roles
    assert 'data-role="public_health_officer"' in html and titles[ROLE].title.th in html
    # Food premises charge a fee: the finance officer signs its e-receipts.
    assert 'data-role="finance_officer"' in html
    assert 'data-role="engineer"' not in html, "building permits are not offered here"
    section = html.split('data-role="public_health_officer"')[1].split("</section>")[0]
    assert "กุญแจของระบบ" in section
    receipts = html.split('data-role="finance_officer"')[1].split("</section>")[0]
    assert "ยังไม่มีกุญแจ" in receipts
    assert 'enctype="multipart/form-data"' in section and 'name="csrf_token"' in section
    assert "ระบบยังไม่ได้ตั้งค่าอุปกรณ์เก็บกุญแจ" in section, "no token: the label form is not offered"
    officer = officer_client(app, place.town, "sanitarian")
    assert officer.get(place.page).status_code == 403


UNREADABLE = "เปิดไฟล์กุญแจไม่ได้ รหัสผ่านไม่ถูกต้อง หรือไฟล์ไม่ใช่ไฟล์ PKCS#12"
SIZE = "กรุณาเลือกไฟล์กุญแจ PKCS#12 (.p12 หรือ .pfx) ขนาดไม่เกิน 64 KB"
REFUSALS = {
    "wrong password": UNREADABLE,
    "not a PKCS#12 file": UNREADABLE,
    "self-signed": "ใบรับรองนี้ไม่ได้ออกโดยผู้ให้บริการออกใบรับรองที่ระบบเชื่อถือ",
    "expired": "ใบรับรองนี้หมดอายุแล้วหรือยังไม่ถึงวันเริ่มใช้",
    "no private key": "ไฟล์นี้ไม่มีกุญแจส่วนตัวหรือใบรับรองของผู้ลงนาม",
    "too large": SIZE,
    "no file": SIZE,
    "a role that signs nothing here": "ตำแหน่งนี้ไม่ได้ลงนามเอกสารของบริการที่หน่วยงานเปิดให้บริการ",
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_key_says_why_in_thai_and_stores_nothing(app: Any, platform: Any, place: Place, case: str):
    message = REFUSALS[case]
    admin = officer_client(app, place.town, "admin")
    content, password, role = place.own_p12, place.password, ROLE
    if case == "wrong password":
        password = b"not-the-password"
    elif case == "not a PKCS#12 file":
        content = b"%PDF-1.7\n" + b"0" * 2000
    elif case == "self-signed":
        content, password = self_signed_p12(), b"made-here"
    elif case == "expired":
        content, password = expired_p12(place.pki), b"made-here"
    elif case == "no private key":
        content, password = certificate_only_p12(place), b"made-here"
    elif case == "too large":
        content = place.own_p12 + b"\0" * signing_keys.MAX_P12_BYTES
    elif case == "no file":
        content = b""
    else:
        role = "engineer"
    refused = upload(admin, place, content, password, role=role)
    html = text_of(refused)
    assert refused.status_code == 422, html[:500]
    assert message in html
    assert 'class="error-summary"' in html
    assert place.stored(platform) == [], "nothing stored"
    assert password.decode() not in html or not password, "the password is never shown back"


def test_the_error_is_in_english_too_and_points_at_its_field(app: Any, platform: Any, place: Place):
    admin = officer_client(app, place.town, "admin")
    admin.get(place.page + "?lang=en")
    refused = upload(admin, place, place.own_p12, b"wrong")
    html = text_of(refused)
    assert refused.status_code == 422
    assert "The key file does not open: the password is wrong" in html
    assert f'href="#password-{ROLE}"' in html and f'id="password-{ROLE}-error"' in html
    assert place.stored(platform) == []


def test_a_token_label_without_a_token_is_refused(app: Any, platform: Any, place: Place):
    admin = officer_client(app, place.town, "admin")
    refused = admin.post(
        f"{place.page}/pkcs11",
        data={"csrf_token": csrf_token(admin, place.page), "role": ROLE, "label": "kingkaew-2569"},
    )
    assert refused.status_code == 422
    assert "ระบบยังไม่ได้ตั้งค่าอุปกรณ์เก็บกุญแจ (HSM)" in text_of(refused)
    assert place.stored(platform) == []


def test_without_the_csrf_token_nothing_is_stored(app: Any, platform: Any, place: Place):
    admin = officer_client(app, place.town, "admin")
    forged = admin.post(
        f"{place.page}/p12",
        data={"role": ROLE, "password": place.password.decode(), "p12": (io.BytesIO(place.own_p12), "k.p12")},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400
    assert place.stored(platform) == []


def test_an_uploaded_key_signs_the_documents_issued_after_it(app: Any, platform: Any, place: Place):
    own_serial = certificate_serial(place.own_p12, place.password)
    platform_serial = certificate_serial(
        place.pki.officer(place.town.slug, ROLE).p12.read_bytes(), place.password
    )
    assert own_serial != platform_serial

    before = issue_certificate(platform, place)
    assert signer_serials(before) == [platform_serial], "the platform's key signs until one is uploaded"

    admin = officer_client(app, place.town, "admin")
    saved = upload(admin, place, place.own_p12, place.password)
    assert saved.status_code == 302, text_of(saved)[:500]
    page = admin.get(place.page)
    html = text_of(page)
    [stored] = place.stored(platform)
    assert stored.kind == "pkcs12" and stored.role == ROLE and stored.subject_cn == OWN_SIGNER
    assert int(stored.serial, 16) == own_serial
    assert stored.set_by_id == place.town.ids[place.town.users["admin"]]
    section = html.split(f'data-role="{ROLE}"')[1].split("</section>")[0]
    assert OWN_SIGNER in section and stored.serial in section
    assert format_date(stored.not_after.date(), "th") in section, "expiry in the Buddhist Era"
    assert str(stored.not_after.year + 543) in section
    assert "บันทึกกุญแจลงนามของตำแหน่ง" in html
    # Sealed at rest, never shown again.
    secret = place.password.decode()
    assert secret not in html
    assert secret not in stored.sealed_password and "MII" not in stored.sealed_p12

    after = issue_certificate(platform, place)
    report = verify_pdf(after, place.pki.trust_roots())
    assert report.status == "valid", report.lines()
    assert [s.signer for s in report.signatures] == [OWN_SIGNER]
    assert signer_serials(after) == [own_serial], "signed with the uploaded certificate"

    removed = admin.post(
        f"{place.page}/remove", data={"csrf_token": csrf_token(admin, place.page), "role": ROLE}
    )
    assert removed.status_code == 302
    assert place.stored(platform) == []
    again = issue_certificate(platform, place)
    assert signer_serials(again) == [platform_serial], "the platform's key signs again"


def test_another_municipality_neither_sees_nor_changes_the_key(app: Any, platform: Any, place: Place):
    admin = officer_client(app, place.town, "admin")
    assert upload(admin, place, place.own_p12, place.password).status_code == 302
    [before] = place.stored(platform)

    other = make_town(platform, roles=["admin"], prefix="SY")
    intruder = officer_client(app, other, "admin")
    own_page = PAGE.format(slug=other.slug)
    token = csrf_token(intruder, own_page)
    assert OWN_SIGNER not in text_of(intruder.get(own_page)), "their page shows their own keys only"
    assert intruder.get(place.page).status_code == 403
    for path, data in (
        (
            "/p12",
            {
                "role": ROLE,
                "password": place.password.decode(),
                "p12": (io.BytesIO(self_signed_p12()), "k.p12"),
            },
        ),
        ("/pkcs11", {"role": ROLE, "label": "planted"}),
        ("/remove", {"role": ROLE}),
    ):
        response = intruder.post(
            place.page + path, data={"csrf_token": token, **data}, content_type="multipart/form-data"
        )
        assert response.status_code == 403, path
        assert OWN_SIGNER not in text_of(response)
    [after] = place.stored(platform)
    assert (after.id, after.serial, after.sealed_p12, after.set_at) == (
        before.id,
        before.serial,
        before.sealed_p12,
        before.set_at,
    )
    # The intruder's own tenant: the other town's key is not theirs to remove either.
    intruder.post(f"{own_page}/remove", data={"csrf_token": token, "role": ROLE})
    assert len(place.stored(platform)) == 1
    platform.db(signing_keys.remove(place.town.tenant, ROLE))


def test_a_sealed_key_opens_only_for_its_own_tenant_and_role(platform: Any, place: Place):
    """A sealed file copied to another row (or read with another platform key) does not open."""
    from signing.keys import pkcs12_check

    roots = place.pki.trust_roots()
    key = platform.settings.secret_key
    stored = platform.db(
        signing_keys.set_pkcs12(
            place.town.tenant,
            ROLE,
            place.own_p12,
            place.password,
            roles=[ROLE],
            check=pkcs12_check(roots),
            platform_key=key,
            by_name="test",
        )
    )
    [unsealed] = platform.db(signing_keys.for_signing(place.town.tenant, key))
    assert unsealed.p12 == place.own_p12 and unsealed.password == place.password
    with pytest.raises(signing_keys.SigningKeyUnusable):
        platform.db(signing_keys.for_signing(place.town.tenant, "another-platform-key"))
    platform.db(TenantSigningKey.filter(id=stored.id).update(role="finance_officer"))
    with pytest.raises(signing_keys.SigningKeyUnusable):
        platform.db(signing_keys.for_signing(place.town.tenant, key))
    platform.db(TenantSigningKey.filter(id=stored.id).delete())


# --- the command line ----------------------------------------------------------------------------


def thongthin(environ: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [THONGTHIN, *args], env=environ, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_the_command_sets_lists_and_removes_a_key(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):
    import json

    data = migrated_data(tmp_path_factory, tmp_path / "data")
    environ = clean_environ(THONGTHIN_DATA=str(data), SECRET_KEY="test-signing-keys")
    steps = [
        (
            "tenant",
            "create",
            "khamo",
            "--name",
            "เทศบาลตำบลคำโม",
            "--kind",
            "เทศบาลตำบล",
            "--province",
            "ลำปาง",
        ),
        ("catalog", "enable", "khamo", FOOD),
        ("pki", "dev", "--data", str(data), "--tenant", "elsewhere", "--role", ROLE),
    ]
    for step in steps:
        done = thongthin(environ, *step)
        assert done.returncode == 0, (step, done.stderr)
    p12 = data / "pki" / "officers" / "elsewhere" / f"{ROLE}.p12"
    password = (data / "pki" / "p12-password").read_text().strip()

    wrong = thongthin(environ, "signing", "key", "set", "khamo", ROLE, "--p12", str(p12), stdin="wrong\n")
    assert wrong.returncode == 1
    assert "เปิดไฟล์กุญแจไม่ได้" in wrong.stderr and "the password is wrong" in wrong.stderr
    unsigned = thongthin(
        environ, "signing", "key", "set", "khamo", "engineer", "--p12", str(p12), stdin=password
    )
    assert unsigned.returncode == 1 and "ตำแหน่งนี้ไม่ได้ลงนามเอกสาร" in unsigned.stderr

    saved = thongthin(
        environ, "signing", "key", "set", "khamo", ROLE, "--p12", str(p12), stdin=password + "\n"
    )
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout.startswith(f"khamo/{ROLE}: ") and password not in saved.stdout + saved.stderr
    listed = thongthin(environ, "signing", "key", "list", "khamo", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["role"]: row for row in json.loads(listed.stdout)}
    assert rows[ROLE]["kind"] == "pkcs12" and rows[ROLE]["set_by"] == "command line"
    assert int(rows[ROLE]["serial"], 16) == certificate_serial(p12.read_bytes(), password.encode())
    assert rows["finance_officer"]["kind"] == "none"
    assert thongthin(environ, "signing", "key", "remove", "khamo", ROLE).returncode == 0
    assert thongthin(environ, "signing", "key", "remove", "khamo", ROLE).returncode == 1
    table = thongthin(environ, "signing", "key", "list", "khamo")
    assert any(line.startswith(ROLE) and "no key" in line for line in table.stdout.splitlines())
