"""PAdES signing against a development PKI served over real HTTP, checked by pyHanko and pdfsig.

A permit-like PDF is signed by the engineer (certification) then the building official,
B-T and B-LT; every signature is validated with pyHanko's own validator (PAdES subfilter,
timestamp present, intact, trusted against the development root, certification first)
and with poppler's ``pdfsig`` (an independent implementation on NSS). A copy with bytes
changed after signing fails both; a signature by a self-made CA is reported untrusted.
Page 1 of a signed document goes to ``tests/artifacts/signing/`` as PNG for a person to see.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.signing_fixtures as fixtures
from signing import (
    EventLoopRunning,
    RevocationInfoUnavailable,
    Signatory,
    SignedPdf,
    SignerConfigError,
    SignerNotTrusted,
    SigningOptions,
    TimestampUnavailable,
    sign_pdf,
    verify_pdf,
)
from signing.pki import DevPki, load_trust_roots
from signing.signer import DEFAULT_FONT, Pkcs12Key
from tests.signing_fixtures import (
    ARTIFACTS,
    TLWG_FONT,
    ForeignSigner,
    make_pdf,
    need_tool,
    officer_key,
    pdfsig,
)

# The shared fixtures, by the names the tests ask for.
dev_pki = fixtures.dev_pki
offline_pki = fixtures.offline_pki
foreign_signer = fixtures.foreign_signer
nss_db = fixtures.nss_db

ENGINEER_BOX = (60.0, 80.0, 280.0, 150.0)
OFFICIAL_BOX = (315.0, 80.0, 535.0, 150.0)
ENGINEER = ("นายสมชาย ใจดี", "นายช่างโยธา ผู้ตรวจแบบแปลน")
OFFICIAL = ("นางสาวกิ่งแก้ว ศรีสุข", "เจ้าพนักงานท้องถิ่น")


def stamp_font() -> Path:
    """Sarabun from renderers/fonts (the default); a TLWG font until it is there."""
    if DEFAULT_FONT.exists():
        return DEFAULT_FONT
    if TLWG_FONT.exists():
        return TLWG_FONT
    pytest.skip("no Thai font: renderers/fonts/Sarabun-Regular.ttf or fonts-thai-tlwg")


def signatories(pki: DevPki) -> list[Signatory]:
    return [
        Signatory(officer_key(pki, "engineer"), *ENGINEER, ENGINEER_BOX),
        Signatory(officer_key(pki, "building_official"), *OFFICIAL, OFFICIAL_BOX),
    ]


def options(pki: DevPki, level: str, **changes: Any) -> SigningOptions:
    base = SigningOptions(
        tsa_url=pki.tsa_url, level=level, trust_roots=tuple(pki.trust_roots()), font_path=stamp_font()
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture(scope="module", params=["B-T", "B-LT"])
def signed(request: pytest.FixtureRequest, dev_pki: DevPki) -> SignedPdf:
    result = sign_pdf(make_pdf(), signatories(dev_pki), options(dev_pki, request.param))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"signed-{request.param}.pdf").write_bytes(result.data)
    timings = ARTIFACTS / "timings.json"
    recorded = json.loads(timings.read_text()) if timings.exists() else {}
    recorded[request.param] = [round(s.seconds, 3) for s in result.signatures]
    timings.write_text(json.dumps(recorded, indent=2))
    return result


def tampered(data: bytes) -> bytes:
    """The same file with a few bytes of the page text changed, the structure untouched."""
    assert data.count(b"signing test") == 1
    return data.replace(b"signing test", b"SIGNING TEST")


# --- signing, checked with pyHanko's validator -----------------------------------------------


def test_each_signature_is_pades_timestamped_intact_and_trusted(signed: SignedPdf, dev_pki: DevPki) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation import read_certification_data, validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
    from pyhanko_certvalidator import ValidationContext

    level = signed.signatures[0].level
    assert [s.level for s in signed.signatures] == [level, level]
    assert [s.certification for s in signed.signatures] == [True, False]
    reader = PdfFileReader(BytesIO(signed.data))
    embedded = reader.embedded_signatures
    assert [e.field_name for e in embedded] == ["Signature1", "Signature2"]
    for signature, (name, _position) in zip(embedded, (ENGINEER, OFFICIAL), strict=True):
        assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
        assert signature.sig_object["/Name"] == name
        context = ValidationContext(trust_roots=dev_pki.trust_roots(), allow_fetching=True)
        status = validate_pdf_signature(signature, context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.docmdp_ok
        assert status.timestamp_validity is not None
        assert status.timestamp_validity.intact and status.timestamp_validity.trusted
    certification = read_certification_data(reader)
    assert certification is not None
    assert certification.author_sig is embedded[0].sig_object
    assert certification.permission == MDPPerm.FILL_FORMS
    assert embedded[1].docmdp_level is None
    if level == "B-LT":
        dss = DocumentSecurityStore.read_dss(reader)
        assert dss.ocsps and dss.crls and dss.certs
    else:
        with pytest.raises(NoDSSFoundError):
            DocumentSecurityStore.read_dss(reader)


def test_the_platform_verifier_agrees(signed: SignedPdf, dev_pki: DevPki) -> None:
    report = verify_pdf(signed.data, dev_pki.trust_roots())
    assert report.status == "valid", report.lines()
    assert report.sha256 == signed.sha256
    level = signed.signatures[0].level
    first, second = report.signatures
    assert (first.certification, first.docmdp, second.certification) == (True, 2, False)
    assert first.pades_level == second.pades_level == level
    assert first.changes_after == "form_filling" and not first.modified_after_signing
    assert second.covers_whole_file == (level == "B-T")
    for signature in report.signatures:
        assert signature.signing_time is not None and signature.timestamp_trusted
        assert signature.ok and signature.trusted and signature.intact
    assert first.signer == "นายช่าง/วิศวกรโยธา"


# --- and with poppler's pdfsig (NSS) --------------------------------------------------------


def test_pdfsig_says_every_signature_is_valid_and_trusted(
    signed: SignedPdf, nss_db: str, tmp_path: Path
) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.data)
    output = pdfsig(path, nss_db)
    assert output.count("Signature Type: ETSI.CAdES.detached") == 2, output
    assert output.count("Signature Validation: Signature is Valid.") == 2, output
    assert output.count("Certificate Validation: Certificate is Trusted.") == 2, output


def test_a_tampered_copy_fails_both_validators(
    signed: SignedPdf, dev_pki: DevPki, nss_db: str, tmp_path: Path
) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    data = tampered(signed.data)
    context = ValidationContext(trust_roots=dev_pki.trust_roots())
    for signature in PdfFileReader(BytesIO(data)).embedded_signatures:
        assert not validate_pdf_signature(signature, context).intact
    report = verify_pdf(data, dev_pki.trust_roots())
    assert report.status == "modified"
    assert all(s.modified_after_signing and not s.intact for s in report.signatures)
    assert report.sha256 != signed.sha256
    path = tmp_path / "tampered.pdf"
    path.write_bytes(data)
    output = pdfsig(path, nss_db)
    assert "Signature is Valid" not in output, output
    assert output.count("Digest Mismatch") == 2 or output.count("Signature is Invalid") == 2, output


def test_a_change_added_after_signing_is_reported(signed: SignedPdf, dev_pki: DevPki) -> None:
    """An incremental update that draws on the page keeps the signed bytes but not the meaning."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed.data))
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    forged = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 30 Tf 72 600 Td (APPROVED x10) Tj ET")
    )
    page["/Contents"] = generic.ArrayObject([*_as_list(page.raw_get("/Contents")), forged])
    writer.mark_update(page_ref)
    out = BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), dev_pki.trust_roots())
    assert report.status == "modified", report.lines()
    assert all(s.intact for s in report.signatures)
    assert report.signatures[-1].modified_after_signing


def _as_list(contents: object) -> list[object]:
    from pyhanko.pdf_utils import generic

    return list(contents) if isinstance(contents, generic.ArrayObject) else [contents]


# --- other CAs, unsigned files, broken set-ups ------------------------------------------------


def test_a_signature_by_an_unknown_ca_is_untrusted(
    dev_pki: DevPki, foreign_signer: ForeignSigner, nss_db: str, tmp_path: Path
) -> None:
    signatory = Signatory(foreign_signer.key, "ผู้ลงนามปลอม", "ไม่มีตำแหน่ง", ENGINEER_BOX)
    # Whoever made it trusted their own CA; the timestamp is a real one.
    own = options(dev_pki, "B-T", trust_roots=(foreign_signer.root,))
    result = sign_pdf(make_pdf(), [signatory], own)
    report = verify_pdf(result.data, dev_pki.trust_roots())
    assert report.status == "untrusted"
    (signature,) = report.signatures
    assert signature.intact and signature.valid and not signature.trusted
    assert "unknown certificate authority" in report.message("en")
    path = tmp_path / "foreign.pdf"
    path.write_bytes(result.data)
    output = pdfsig(path, nss_db)
    assert "Signature is Valid." in output and "Certificate is Trusted" not in output, output


def test_the_platform_refuses_to_sign_with_a_certificate_outside_its_roots(
    dev_pki: DevPki, foreign_signer: ForeignSigner
) -> None:
    signatory = Signatory(foreign_signer.key, "ผู้ลงนามปลอม", "ไม่มีตำแหน่ง", ENGINEER_BOX)
    with pytest.raises(SignerNotTrusted):
        sign_pdf(make_pdf(), [signatory], options(dev_pki, "B-T"))


def test_unsigned_and_non_pdf_files_get_a_clear_status(dev_pki: DevPki) -> None:
    unsigned = verify_pdf(make_pdf(), dev_pki.trust_roots())
    assert unsigned.status == "not_signed" and not unsigned.valid
    assert unsigned.message("th") == "เอกสารนี้ไม่มีลายมือชื่ออิเล็กทรอนิกส์"
    garbage = verify_pdf(b"%PDF-1.7 this is not really a PDF", dev_pki.trust_roots())
    assert garbage.status == "not_pdf"


def test_b_lt_falls_back_to_b_t_when_revocation_data_is_unreachable(
    dev_pki: DevPki, offline_pki: DevPki
) -> None:
    # The offline PKI's certificates point at a closed port for OCSP and CRLs.
    signatory = Signatory(officer_key(offline_pki, "engineer"), *ENGINEER, ENGINEER_BOX)
    roots = (*offline_pki.trust_roots(), *dev_pki.trust_roots())
    result = sign_pdf(make_pdf(), [signatory], options(dev_pki, "B-LT", trust_roots=roots, timeout=2.0))
    (applied,) = result.signatures
    assert applied.level == "B-T" and applied.note and "revocation" in applied.note
    with pytest.raises(RevocationInfoUnavailable) as raised:
        sign_pdf(
            make_pdf(),
            [signatory],
            options(dev_pki, "B-LT", trust_roots=roots, timeout=2.0, fallback_to_bt=False),
        )
    assert raised.value.retryable


def test_setup_errors_are_told_apart(dev_pki: DevPki, offline_pki: DevPki, tmp_path: Path) -> None:
    good = officer_key(dev_pki, "engineer")
    cases: list[tuple[Pkcs12Key, SigningOptions, type[Exception]]] = [
        (Pkcs12Key(good.path, b"wrong password"), options(dev_pki, "B-T"), SignerConfigError),
        (Pkcs12Key(tmp_path / "missing.p12", b"x"), options(dev_pki, "B-T"), SignerConfigError),
        (good, options(dev_pki, "B-T", font_path=tmp_path / "missing.ttf"), SignerConfigError),
        (good, options(dev_pki, "B-LT", trust_roots=()), SignerConfigError),
        (good, options(dev_pki, "B-T", tsa_url=offline_pki.tsa_url, timeout=2.0), TimestampUnavailable),
    ]
    for key, chosen, error in cases:
        with pytest.raises(error):
            sign_pdf(make_pdf(), [Signatory(key, *ENGINEER, ENGINEER_BOX)], chosen)
    assert TimestampUnavailable.retryable and not SignerConfigError.retryable


def test_the_sync_api_refuses_to_run_on_an_event_loop(dev_pki: DevPki) -> None:
    async def inside_a_loop() -> None:
        sign_pdf(make_pdf(), signatories(dev_pki), options(dev_pki, "B-T"))

    with pytest.raises(EventLoopRunning):
        asyncio.run(inside_a_loop())


# --- what a person sees -----------------------------------------------------------------------


def test_the_stamps_show_name_position_and_thai_time(signed: SignedPdf, tmp_path: Path) -> None:
    need_tool("pdftotext", "pdftoppm")
    level = signed.signatures[0].level
    path = ARTIFACTS / f"signed-{level}.pdf"
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True
    ).stdout
    for name, position in (ENGINEER, OFFICIAL):
        assert name in text and position in text
    assert text.count("ลงลายมือชื่ออิเล็กทรอนิกส์") == 2
    assert text.count("ลงนามเมื่อ ") == 2 and " น." in text
    # Buddhist Era year, e.g. 2569 for 2026.
    assert any(str(year) in text for year in range(2567, 2600))
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "110",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(ARTIFACTS / f"page1-{level}"),
        ],
        check=True,
    )
    assert (ARTIFACTS / f"page1-{level}.png").stat().st_size > 10_000


def test_a_weasyprint_document_signs_and_verifies(dev_pki: DevPki, nss_db: str) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    font = stamp_font()
    html = f"""<html lang="th"><head><style>
      @font-face {{ font-family: Thai; src: url("{font.as_uri()}"); }}
      @page {{ size: A4; margin: 2cm; }}
      body {{ font-family: Thai; font-size: 16pt; }}
    </style></head><body>
      <h1>ใบอนุญาตก่อสร้างอาคาร (แบบ อ.1)</h1>
      <p>เลขที่ 12/2569 ออกให้แก่ นายทดสอบ ระบบลงนาม</p>
    </body></html>"""
    data = weasyprint.HTML(string=html, base_url=str(font.parent)).write_pdf()
    result = sign_pdf(data, signatories(dev_pki), options(dev_pki, "B-LT"))
    assert verify_pdf(result.data, dev_pki.trust_roots()).status == "valid"
    path = ARTIFACTS / "weasyprint-signed.pdf"
    path.write_bytes(result.data)
    output = pdfsig(path, nss_db)
    assert output.count("Certificate is Trusted.") == 2, output
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(ARTIFACTS / "weasyprint-page1"),
        ],
        check=True,
    )


# --- the commands ------------------------------------------------------------------------------


def test_document_verify_prints_the_report_and_exits_0_or_1(
    signed: SignedPdf, dev_pki: DevPki, tmp_path: Path
) -> None:
    from thongthin.cli import main

    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(signed.data)
    bad.write_bytes(tampered(signed.data))
    runner = CliRunner()
    result = runner.invoke(main, ["document", "verify", str(good), "--trust", str(dev_pki.trust_dir)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and signed.sha256 in result.output
    assert "ผู้ลงนาม / Signer: นายช่าง/วิศวกรโยธา" in result.output
    result = runner.invoke(main, ["document", "verify", str(bad), "--trust", str(dev_pki.trust_dir)])
    assert result.exit_code == 1
    assert "เอกสารถูกแก้ไขหลังการลงนาม" in result.output and "modified after it was signed" in result.output
    result = runner.invoke(
        main, ["document", "verify", str(good), "--trust", str(dev_pki.trust_dir), "--json"]
    )
    assert json.loads(result.output)["status"] == "valid"


def test_pki_dev_makes_keys_certificates_and_pkcs12_files(tmp_path: Path) -> None:
    from thongthin.cli import main

    folder = tmp_path / "pki"
    result = CliRunner().invoke(
        main, ["pki", "dev", "--out", str(folder), "--role", "engineer", "--url", "http://127.0.0.1:9799"]
    )
    assert result.exit_code == 0, result.output
    made = DevPki.load(folder)
    assert [(c.tenant, c.role) for c in made.officers] == [("maehia", "engineer")]
    assert made.tsa_url == "http://127.0.0.1:9799/thongthin-dev/tsa/tsa"
    assert len(load_trust_roots(made.trust_dir)) == 1
    assert (folder / "keys").stat().st_mode & 0o077 == 0
    assert (folder / "p12-password").stat().st_mode & 0o077 == 0
    Pkcs12Key(made.officers[0].p12, made.p12_password()).load()
    keys_before = sorted((folder / "keys").iterdir())
    again = CliRunner().invoke(main, ["pki", "dev", "--out", str(folder), "--role", "engineer"])
    assert again.exit_code == 0 and sorted((folder / "keys").iterdir()) == keys_before


def test_the_demo_signer_makes_its_pki_and_service_when_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``document render --sign`` signs with nothing set up: PKI and service appear, then go."""
    from signing import sign_with_demo_signer
    from signing.pki import DevPkiServer

    probe = DevPkiServer(port=0)
    url = probe.url
    probe.stop()  # a free port for the PKI the demo signer makes
    monkeypatch.setenv("THONGTHIN_PKI_URL", url)
    monkeypatch.delenv("THONGTHIN_P12_PASSWORD", raising=False)
    result = sign_with_demo_signer(
        make_pdf(),
        [ENGINEER_BOX, OFFICIAL_BOX],
        roles=["engineer", "building_official"],
        positions=[ENGINEER[1], OFFICIAL[1]],
        data_dir=tmp_path,
    )
    assert [s.level for s in result.signatures] == ["B-LT", "B-LT"]
    pki = DevPki.load(tmp_path / "pki")
    assert verify_pdf(result.data, pki.trust_roots()).status == "valid"
