"""PAdES signing with keys on a PKCS#11 token (SoftHSM2), next to keys in PKCS#12 files.

A SoftHSM2 token is made in a temporary folder (its own configuration and token folder,
through ``SOFTHSM2_CONF``); both officers' private keys and certificates from the
development PKI, and the tenant CA's certificate, are imported into it with python-pkcs11.
One document is then signed by a PKCS#12 key and a token key (B-T, the development TSA)
and checked with the platform's verifier and poppler's ``pdfsig``; the tenant profile
reads the token keys from ``THONGTHIN_PKCS11_*`` (B-LT, certification by the token); and a
wrong PIN or label is a clear SignerConfigError. Without softhsm2 the tests skip, except
in CI where they fail.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import tests.signing_fixtures as fixtures
from signing import SignedPdf, SignerConfigError, sign_pdf, verify_pdf
from signing.pkcs11 import Pkcs11Key
from signing.pki import DevPki
from signing.services import SignerSlot, load_profile, pkcs11_keys, sign_document
from signing.signer import DEFAULT_FONT, Signatory, SigningOptions
from tests.signing_fixtures import ARTIFACTS, TLWG_FONT, officer_key, pdfsig

dev_pki = fixtures.dev_pki
nss_db = fixtures.nss_db

ENGINEER_BOX = (60.0, 80.0, 280.0, 150.0)
OFFICIAL_BOX = (315.0, 80.0, 535.0, 150.0)
ENGINEER = ("นายสมชาย ใจดี", "นายช่างโยธา ผู้ตรวจแบบแปลน")
OFFICIAL = ("นางสาวกิ่งแก้ว ศรีสุข", "เจ้าพนักงานท้องถิ่น")
TOKEN = "thongthin-test"
PIN = "1234"
SO_PIN = "5678"
CA_LABEL = "tenant-ca"
MODULES = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),
    Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/local/lib/softhsm/libsofthsm2.so"),
)


def stamp_font() -> Path:
    """Sarabun from renderers/fonts (the default); a TLWG font until it is there."""
    if DEFAULT_FONT.exists():
        return DEFAULT_FONT
    if TLWG_FONT.exists():
        return TLWG_FONT
    pytest.skip("no Thai font: renderers/fonts/Sarabun-Regular.ttf or fonts-thai-tlwg")


def softhsm_module() -> Path:
    """SoftHSM2's PKCS#11 module; skips without softhsm2, except in CI where it fails."""
    module = next((path for path in MODULES if path.exists()), None)
    if shutil.which("softhsm2-util") is None or module is None:
        message = "softhsm2 not installed (apt-get install softhsm2)"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must run these tests")
        pytest.skip(message)
    return module


@dataclass(frozen=True)
class Token:
    module: Path
    label: str
    ca_file: Path

    def key(self, label: str, pin: str = PIN, **changes: object) -> Pkcs11Key:
        return Pkcs11Key(self.module, self.label, label, pin, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def token(dev_pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    module = softhsm_module()
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    with pytest.MonkeyPatch.context() as env:
        # SoftHSM reads it when the module is initialised: the first use in this process.
        env.setenv("SOFTHSM2_CONF", str(config))
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
            check=True,
            capture_output=True,
        )
        ca = dev_pki.directory / "certs" / "tenant-ca.cert.pem"
        import_into_token(module, dev_pki, ca)
        yield Token(module, TOKEN, ca)


def import_into_token(module: Path, pki: DevPki, ca: Path) -> None:
    """Each officer's key and certificate (labelled by role), and the tenant CA's certificate."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pkcs11 import Attribute
    from pkcs11.util.ec import decode_ec_private_key
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    from signing.pki import load_certificates

    lib = pkcs11.lib(str(module))
    with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        for number, officer in enumerate(pki.officers, start=1):
            key, certificate, _chain = pkcs12.load_key_and_certificates(
                officer.p12.read_bytes(), pki.p12_password()
            )
            assert key is not None and certificate is not None
            der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
            if isinstance(key, ec.EllipticCurvePrivateKey):
                attributes = decode_ec_private_key(der)
            else:
                assert isinstance(key, rsa.RSAPrivateKey)
                attributes = decode_rsa_private_key(der)
            ident = bytes([number])
            session.create_object(
                {
                    **attributes,
                    Attribute.LABEL: officer.role,
                    Attribute.ID: ident,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SIGN: True,
                }
            )
            session.create_object(
                {
                    **decode_x509_certificate(certificate.public_bytes(serialization.Encoding.DER)),
                    Attribute.LABEL: officer.role,
                    Attribute.ID: ident,
                    Attribute.TOKEN: True,
                }
            )
        (ca_certificate,) = load_certificates(ca)
        session.create_object(
            {
                **decode_x509_certificate(ca_certificate.dump()),
                Attribute.LABEL: CA_LABEL,
                Attribute.TOKEN: True,
            }
        )


def options(pki: DevPki, level: str = "B-T") -> SigningOptions:
    return SigningOptions(
        tsa_url=pki.tsa_url, level=level, trust_roots=tuple(pki.trust_roots()), font_path=stamp_font()
    )


@pytest.fixture(scope="module")
def mixed(dev_pki: DevPki, token: Token) -> SignedPdf:
    """Signed B-T by the engineer's PKCS#12 file, then the building official's token key."""
    signatories = [
        Signatory(officer_key(dev_pki, "engineer"), *ENGINEER, ENGINEER_BOX),
        Signatory(token.key("building_official", ca_certs=token.ca_file), *OFFICIAL, OFFICIAL_BOX),
    ]
    result = sign_pdf(fixtures.make_pdf(), signatories, options(dev_pki))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "signed-pkcs11-B-T.pdf").write_bytes(result.data)
    return result


def test_a_pkcs12_and_a_pkcs11_signature_are_both_intact_valid_and_trusted(
    mixed: SignedPdf, dev_pki: DevPki
) -> None:
    assert [(s.level, s.certification) for s in mixed.signatures] == [("B-T", True), ("B-T", False)]
    report = verify_pdf(mixed.data, dev_pki.trust_roots())
    assert report.status == "valid", report.lines()
    first, second = report.signatures
    for signature in (first, second):
        assert signature.intact and signature.valid and signature.trusted and signature.ok
        assert signature.pades_level == "B-T"
        assert signature.signing_time is not None and signature.timestamp_trusted
    # The second signature is the token's: its certificate is the building official's.
    assert first.signer == "นายช่าง/วิศวกรโยธา"
    assert second.signer == "เจ้าพนักงานท้องถิ่น"
    assert first.certification and not second.certification and second.covers_whole_file


def test_pdfsig_agrees_about_the_token_signature(mixed: SignedPdf, nss_db: str, tmp_path: Path) -> None:
    path = tmp_path / "mixed.pdf"
    path.write_bytes(mixed.data)
    output = pdfsig(path, nss_db)
    assert output.count("Signature Validation: Signature is Valid.") == 2, output
    assert output.count("Certificate Validation: Certificate is Trusted.") == 2, output


def test_two_keys_on_one_token_share_its_log_in(dev_pki: DevPki, token: Token) -> None:
    """A second C_Login on a token fails; both keys must sign through one logged-in session."""
    signatories = [
        Signatory(token.key("engineer", ca_labels=(CA_LABEL,)), *ENGINEER, ENGINEER_BOX),
        Signatory(token.key("building_official", ca_labels=(CA_LABEL,)), *OFFICIAL, OFFICIAL_BOX),
    ]
    result = sign_pdf(fixtures.make_pdf(), signatories, options(dev_pki))
    report = verify_pdf(result.data, dev_pki.trust_roots())
    assert report.status == "valid", report.lines()
    # And the session was released: the next run logs in afresh.
    again = sign_pdf(fixtures.make_pdf(), signatories[:1], options(dev_pki))
    assert verify_pdf(again.data, dev_pki.trust_roots()).status == "valid"


def test_documents_signed_at_once_on_worker_threads_share_the_token(dev_pki: DevPki, token: Token) -> None:
    """The issuing runner signs on worker threads: their token calls must not collide."""
    from concurrent.futures import ThreadPoolExecutor

    signatories = [
        Signatory(token.key("engineer", ca_labels=(CA_LABEL,)), *ENGINEER, ENGINEER_BOX),
        Signatory(token.key("building_official", ca_labels=(CA_LABEL,)), *OFFICIAL, OFFICIAL_BOX),
    ]

    def sign_and_check(_: int) -> str:
        result = sign_pdf(fixtures.make_pdf(), signatories, options(dev_pki))
        return verify_pdf(result.data, dev_pki.trust_roots()).status

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(sign_and_check, range(8))) == ["valid"] * 8


def test_the_tenant_profile_takes_a_role_from_the_token(dev_pki: DevPki, token: Token) -> None:
    """``THONGTHIN_PKCS11_*`` puts the engineer (the certification signature) on the token, B-LT."""
    environ = {
        "THONGTHIN_PKI_DIR": str(dev_pki.directory),
        "THONGTHIN_PKCS11_MODULE": str(token.module),
        "THONGTHIN_PKCS11_TOKEN": token.label,
        "THONGTHIN_PKCS11_PIN": PIN,
        "THONGTHIN_PKCS11_KEYS": "maehia:engineer=engineer, othertown:engineer=someone-else",
        "THONGTHIN_PKCS11_CA_LABELS": CA_LABEL,
    }
    profile = load_profile(Path("unused"), "maehia", environ)
    assert isinstance(profile.key_for("engineer"), Pkcs11Key)
    assert profile.key_for("engineer").describe() == "PKCS#11 key 'engineer' on token 'thongthin-test'"
    assert not isinstance(profile.key_for("building_official"), Pkcs11Key)
    profile = dataclasses.replace(profile, font_path=stamp_font())
    slots = [
        SignerSlot("engineer", *ENGINEER, ENGINEER_BOX),
        SignerSlot("building_official", *OFFICIAL, OFFICIAL_BOX),
    ]
    result = sign_document(fixtures.make_pdf(), profile, slots, level="B-LT")
    assert [s.level for s in result.signatures] == ["B-LT", "B-LT"]
    report = verify_pdf(result.data, dev_pki.trust_roots())
    assert report.status == "valid", report.lines()
    assert report.signatures[0].certification and report.signatures[0].pades_level == "B-LT"
    assert report.signatures[0].signer == "นายช่าง/วิศวกรโยธา"


def test_a_wrong_pin_is_a_clear_signer_config_error(dev_pki: DevPki, token: Token) -> None:
    signatory = Signatory(token.key("engineer", pin="987654"), *ENGINEER, ENGINEER_BOX)
    with pytest.raises(SignerConfigError) as raised:
        sign_pdf(fixtures.make_pdf(), [signatory], options(dev_pki))
    message = str(raised.value)
    assert message == "PKCS#11 key 'engineer' on token 'thongthin-test': wrong PIN"
    assert "987654" not in message and "987654" not in repr(signatory.key)
    # Raised `from None`: no python-pkcs11 exception chained on for a log to print.
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert not raised.value.retryable


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"token_label": "no-such-token"}, "no token labelled 'no-such-token'"),
        ({"key_label": "nobody"}, "Could not find certificate with label 'nobody'"),
        ({"module_path": Path("/nonexistent/libpkcs11.so")}, "cannot load the PKCS#11 module"),
        ({"ca_certs": Path("/nonexistent/ca.pem")}, "CA certificates"),
    ],
)
def test_an_unusable_token_setting_is_a_signer_config_error(
    dev_pki: DevPki, token: Token, changes: dict[str, object], expected: str
) -> None:
    key = dataclasses.replace(token.key("engineer", ca_labels=(CA_LABEL,)), **changes)  # type: ignore[arg-type]
    signatory = Signatory(key, *ENGINEER, ENGINEER_BOX)
    with pytest.raises(SignerConfigError, match=expected):
        sign_pdf(fixtures.make_pdf(), [signatory], options(dev_pki))


def test_pkcs11_settings_are_checked() -> None:
    base = {
        "THONGTHIN_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
        "THONGTHIN_PKCS11_TOKEN": TOKEN,
        "THONGTHIN_PKCS11_PIN": PIN,
    }
    assert pkcs11_keys("maehia", {}) == {}
    assert pkcs11_keys("maehia", {**base, "THONGTHIN_PKCS11_KEYS": "othertown:engineer=x"}) == {}
    keys = pkcs11_keys(
        "maehia",
        {
            **base,
            "THONGTHIN_PKCS11_KEYS": " maehia:engineer = สมชาย 2569 ,maehia:building_official=k,",
            "THONGTHIN_PKCS11_CA_LABELS": "tenant-ca, root",
        },
    )
    assert {role: key.key_label for role, key in keys.items()} == {
        "engineer": "สมชาย 2569",
        "building_official": "k",
    }
    assert keys["engineer"].ca_labels == ("tenant-ca", "root") and keys["engineer"].pin == PIN
    assert PIN not in repr(keys["engineer"])
    bad = [
        {**base, "THONGTHIN_PKCS11_KEYS": "maehia-engineer=x"},
        {**base, "THONGTHIN_PKCS11_KEYS": "maehia:engineer"},
        {**base, "THONGTHIN_PKCS11_KEYS": "maehia:engineer=a, maehia:engineer=b"},
        {"THONGTHIN_PKCS11_MODULE": base["THONGTHIN_PKCS11_MODULE"], "THONGTHIN_PKCS11_KEYS": "maehia:e=x"},
    ]
    for environ in bad:
        with pytest.raises(SignerConfigError, match="THONGTHIN_PKCS11"):
            pkcs11_keys("maehia", environ)
