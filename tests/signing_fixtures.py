"""Fixtures for the signing tests: a development PKI served over real HTTP on loopback.

``dev_pki`` creates the PKI in a temporary folder for the session and serves its TSA, OCSP
responder and CRLs on a free loopback port, stopped at the end. ``offline_pki`` is a second
PKI whose service is never started (revocation data unreachable). ``foreign_signer`` is a
self-made CA and signer outside both. ``nss_db`` is a throw-away NSS database trusting the
development root, for poppler's ``pdfsig``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import x509

from signing.pki import DevPki, DevPkiServer, Officer, create_dev_pki
from signing.signer import Pkcs12Key

MUNICIPALITY = "เทศบาลเมืองแม่เหียะ"
OFFICERS = [
    Officer("maehia", "engineer", "นายช่าง/วิศวกรโยธา", MUNICIPALITY),
    Officer("maehia", "building_official", "เจ้าพนักงานท้องถิ่น", MUNICIPALITY),
]
ARTIFACTS = Path(__file__).parent / "artifacts" / "signing"
# Any Thai TrueType font for a fallback; the signer's default is renderers/fonts/Sarabun.
TLWG_FONT = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")


def need_tool(*names: str) -> None:
    """Skip when a Debian tool is missing, except in CI where the suite must run whole."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install poppler-utils libnss3-tools)"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must run these tests")
        pytest.skip(message)


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevPki]:
    server = DevPkiServer(port=0)
    try:
        pki = create_dev_pki(tmp_path_factory.mktemp("dev-pki"), OFFICERS, url=server.url)
        server.start(pki)
        yield pki
    finally:
        server.stop()


@pytest.fixture(scope="session")
def offline_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """A PKI whose OCSP/CRL service does not run: its certificates name a closed port."""
    server = DevPkiServer(port=0)
    url = server.url
    server.stop()  # the port is released and nothing answers there
    return create_dev_pki(tmp_path_factory.mktemp("offline-pki"), OFFICERS[:1], url=url)


def officer_key(pki: DevPki, role: str) -> Pkcs12Key:
    return Pkcs12Key(pki.officer("maehia", role).p12, pki.p12_password())


@dataclass(frozen=True)
class ForeignSigner:
    key: Pkcs12Key
    root: x509.Certificate


@pytest.fixture(scope="session")
def foreign_signer(tmp_path_factory: pytest.TempPathFactory) -> ForeignSigner:
    """A signer whose self-made CA the platform has never heard of."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC) - timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Self-made CA (not trusted)")])
    ca = (
        cx509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    usage = cx509.KeyUsage(True, True, False, False, False, False, False, False, False)
    signer = (
        cx509.CertificateBuilder()
        .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "ผู้ลงนามปลอม")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .add_extension(usage, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("foreign") / "signer.p12"
    password = b"foreign-password"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", key, signer, [ca], serialization.BestAvailableEncryption(password)
        )
    )
    root = x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))
    return ForeignSigner(Pkcs12Key(path, password), root)


def trusting_nss_db(root_cert: Path, folder: Path) -> str:
    """An NSS database (for ``pdfsig -nssdir``) in ``folder`` that trusts ``root_cert`` only."""
    need_tool("certutil", "pdfsig")
    folder.mkdir(parents=True, exist_ok=True)
    database = f"sql:{folder}"
    subprocess.run(["certutil", "-N", "-d", database, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-d", database, "-n", "thongthin-dev-root", "-t", "CT,C,C", "-i", str(root_cert)],
        check=True,
        capture_output=True,
    )
    return database


@pytest.fixture(scope="session")
def nss_db(dev_pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An NSS database (for ``pdfsig -nssdir``) that trusts the development root only."""
    return trusting_nss_db(dev_pki.root_cert_path, tmp_path_factory.mktemp("nssdb"))


def pdfsig(path: Path, database: str) -> str:
    """``pdfsig`` output (it checks the certificates, with OCSP, against ``database``)."""
    result = subprocess.run(
        ["pdfsig", "-nssdir", database, str(path)], capture_output=True, text=True, timeout=60
    )
    return result.stdout + result.stderr


def make_pdf(title: str = "Thongthin signing test document") -> bytes:
    """A one-page A4 PDF with a line of text, made with pyHanko's own writer."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    writer = PdfFileWriter()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
            }
        )
    )
    content = f"BT /F1 18 Tf 72 760 Td ({title}) Tj ET".encode("ascii")
    page = PageObject(
        contents=writer.add_object(generic.StreamObject(stream_data=content)),
        media_box=generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
        resources=generic.DictionaryObject(
            {generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/F1"): font})}
        ),
    )
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
