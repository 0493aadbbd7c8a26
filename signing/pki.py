"""The development PKI: root CA, tenant signing CA, officers' PKCS#12 files, a TSA, OCSP and CRLs.

Built with certomancer from ``signing/dev-pki.yml`` into a folder of the data directory
(``var/pki`` by default) that is never committed:

    keys/*.key.pem           one RSA key per certificate (kept when the PKI is re-created)
    certomancer.yml          the concrete certomancer configuration (URLs, dates, officers)
    certs/*.cert.pem         root, tenant CA, TSA and OCSP responder certificates
    trust/root.cert.pem      the trust anchor to give validators (``--trust``)
    officers/<tenant>/<role>.p12   each officer's key and certificate chain
    p12-password             the PKCS#12 password, unless THONGTHIN_P12_PASSWORD is set
    dev-pki.json             the manifest: service URL and the officers' files

The TSA, OCSP responder and CRL distribution points are certomancer's Animator (a WSGI
app) served by werkzeug on loopback, in a background thread (:class:`DevPkiServer`) or in
the foreground (``thongthin pki serve``). Certificates name those URLs, so the service must
listen on the address the PKI was created for.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from asn1crypto import pem, x509

from signing.errors import PkiError, SignerConfigError

ARCH = "thongthin-dev"
DEFAULT_URL = "http://127.0.0.1:9780"
PASSWORD_ENV = "THONGTHIN_P12_PASSWORD"
PASSWORD_FILE = "p12-password"
MANIFEST = "dev-pki.json"
CONFIG = "certomancer.yml"
TEMPLATE = Path(__file__).with_name("dev-pki.yml")
# Certificates of the PKI itself (as opposed to officers), each with a key of its own.
INFRASTRUCTURE = ("root", "tenant-ca", "tenant-ocsp", "tsa")
# ECDSA P-256 by default: loading an RSA key costs ~60 ms (OpenSSL checks it), and
# certomancer loads the TSA/OCSP/CRL keys on every request. RSA for realism on demand.
KeyType = Literal["ec", "rsa"]
RSA_BITS = 2048


@dataclass(frozen=True)
class Officer:
    """Someone who signs documents for a municipality in one role (e.g. the civil engineer)."""

    tenant: str
    role: str
    name: str
    organization: str

    @property
    def label(self) -> str:
        """The certomancer label of the officer's entity, key and certificate."""
        return f"officer-{self.tenant}-{self.role}"


@dataclass(frozen=True)
class OfficerCredential:
    """Where an officer's PKCS#12 file is, and whose it is."""

    tenant: str
    role: str
    name: str
    organization: str
    p12: Path


@dataclass(frozen=True)
class DevPki:
    """A development PKI on disk; load it with :meth:`load`, create it with :func:`create_dev_pki`."""

    directory: Path
    url: str
    officers: tuple[OfficerCredential, ...]

    @classmethod
    def load(cls, directory: Path) -> DevPki:
        """Read the manifest of the PKI in ``directory``.

        Raises PkiError when there is no PKI there (run ``thongthin pki dev``) or the manifest is unreadable.
        """
        path = Path(directory) / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            officers = tuple(
                OfficerCredential(
                    o["tenant"], o["role"], o["name"], o.get("organization", ""), path.parent / o["p12"]
                )
                for o in manifest["officers"]
            )
            return cls(path.parent.resolve(), manifest["url"], officers)
        except FileNotFoundError:
            raise PkiError(
                f"no development PKI in {directory} (create it with `thongthin pki dev`)"
            ) from None
        except (ValueError, KeyError, TypeError) as error:
            raise PkiError(f"{path}: unreadable manifest ({error})") from None

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    @property
    def ocsp_url(self) -> str:
        return f"{self.url}/{ARCH}/ocsp/tenant-ca"

    @property
    def config_path(self) -> Path:
        return self.directory / CONFIG

    @property
    def trust_dir(self) -> Path:
        """The folder holding the root certificate, as ``--trust`` takes it."""
        return self.directory / "trust"

    @property
    def root_cert_path(self) -> Path:
        return self.trust_dir / "root.cert.pem"

    def trust_roots(self) -> list[x509.Certificate]:
        """The development root CA, the only trust anchor of this PKI."""
        return load_certificates(self.root_cert_path)

    def certificate(self, label: str) -> x509.Certificate:
        """One of the PKI's own certificates (``root``, ``tenant-ca``, ``tenant-ocsp``, ``tsa``)."""
        return load_certificates(self.directory / "certs" / f"{label}.cert.pem")[0]

    def officer(self, tenant: str, role: str) -> OfficerCredential:
        """The credential of the officer of ``tenant`` in ``role``; raises SignerConfigError if none."""
        for credential in self.officers:
            if credential.tenant == tenant and credential.role == role:
                return credential
        raise SignerConfigError(f"the development PKI has no signing certificate for {tenant}/{role}")

    def p12_password(self) -> bytes:
        """THONGTHIN_P12_PASSWORD if set, else the PKI's password file.

        Raises SignerConfigError when neither is there.
        """
        return p12_password(self.directory)

    def animator(self) -> Any:
        """Certomancer's Animator (a WSGI app) serving this PKI's TSA, OCSP responder and CRLs.

        Raises PkiError when the configuration or the keys cannot be loaded.
        """
        from certomancer.integrations.animator import Animator, AnimatorArchStore
        from certomancer.registry import CertomancerConfig

        try:
            config = CertomancerConfig.from_file(
                str(self.config_path), key_search_dir=str(self.directory), allow_external_config=False
            )
        except (OSError, ValueError, KeyError) as error:
            raise PkiError(f"{self.config_path}: {error}") from error

        class WholeSecondAnimator(Animator):
            def at_time(self, request: Any) -> datetime:
                """Now, without the microseconds: NSS (pdfsig) rejects an OCSP response whose
                producedAt/thisUpdate carry fractional seconds as malformed."""
                return datetime.now(UTC).replace(microsecond=0)

        # No web UI (it would offer the keys for download) and no client-chosen clock.
        animator = WholeSecondAnimator(
            AnimatorArchStore(config.pki_archs), with_web_ui=False, allow_time_override=False
        )
        return OcspGetAdapter(animator)


class OcspGetAdapter:
    """Accept OCSP requests sent with GET (RFC 6960 appendix A.1), as NSS sends them first.

    Certomancer answers OCSP only to POST. NSS (and so poppler's pdfsig) tries GET, then
    falls back to POST, but the failed GET leaves an error code behind that pdfsig 22.x
    reports as "Unknown issue with Certificate". The request is turned into the POST it
    encodes: ``GET {responder}/{url-encoded base64 of the DER OCSPRequest}``.
    """

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        parts = path.strip("/").split("/", 3)
        if environ.get("REQUEST_METHOD") == "GET" and len(parts) == 4 and parts[1] == "ocsp":
            import base64
            import io
            from urllib.parse import unquote

            try:
                body = base64.b64decode(unquote(parts[3]), validate=True)
            except ValueError:
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"malformed OCSP GET request\n"]
            environ = {
                **environ,
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/" + "/".join(parts[:3]),
                "CONTENT_TYPE": "application/ocsp-request",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
            }
        return self.app(environ, start_response)


def p12_password(directory: Path, environ: Mapping[str, str] | None = None) -> bytes:
    """The PKCS#12 password: ``THONGTHIN_P12_PASSWORD``, or the ``p12-password`` file in ``directory``.

    Raises SignerConfigError when neither is set.
    """
    env = os.environ if environ is None else environ
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV].encode("utf-8")
    path = Path(directory) / PASSWORD_FILE
    try:
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    except FileNotFoundError:
        raise SignerConfigError(f"no PKCS#12 password: set {PASSWORD_ENV} or create {path}") from None


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM (one or several) or DER file; raises PkiError if none can be read."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise PkiError(f"{path}: {error.strerror or error}") from None
    try:
        if pem.detect(data):
            return [x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True)]
        certificate = x509.Certificate.load(data)
        certificate.native  # noqa: B018 (asn1crypto parses lazily; fail here, not later)
        return [certificate]
    except (ValueError, TypeError) as error:
        raise PkiError(f"{path}: not a certificate ({error})") from None


def load_trust_roots(path: Path) -> list[x509.Certificate]:
    """Trust anchors from a file, or from every ``*.pem``, ``*.crt``, ``*.cer``, ``*.der`` in a folder.

    Raises PkiError when nothing usable is found.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in {".pem", ".crt", ".cer", ".der"})
        roots = [cert for file in files for cert in load_certificates(file)]
    else:
        roots = load_certificates(path)
    if not roots:
        raise PkiError(f"{path}: no trust root certificates")
    return roots


def demo_officers(
    roles: Mapping[str, str], tenants: Mapping[str, str], *, only: Iterable[str] | None = None
) -> list[Officer]:
    """One officer per (tenant, role): ``roles`` maps role -> Thai title, ``tenants`` slug -> Thai name."""
    wanted = set(only) if only is not None else None
    return [
        Officer(slug, role, title, organization)
        for slug, organization in tenants.items()
        for role, title in sorted(roles.items())
        if wanted is None or role in wanted
    ]


def create_dev_pki(
    directory: Path,
    officers: Sequence[Officer],
    *,
    url: str = DEFAULT_URL,
    password: str | None = None,
    now: datetime | None = None,
    key_type: KeyType = "ec",
) -> DevPki:
    """Create (or re-create, keeping existing keys) the development PKI in ``directory``.

    ``url`` is where the TSA/OCSP/CRL service will listen (certificates name it); ``password``
    protects the PKCS#12 files (default: ``THONGTHIN_P12_PASSWORD``, else the password file,
    else a new random one written to that file); ``key_type`` applies to keys made now
    (existing ones are kept). Raises PkiError on a bad URL or config.
    """
    from certomancer.registry import CertomancerConfig

    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
        raise PkiError(f"{url!r}: give the service address as http://HOST:PORT")
    url = url.rstrip("/")
    if len({o.label for o in officers}) != len(officers):
        raise PkiError("an officer (tenant, role) is listed twice")
    directory = Path(directory).resolve()
    for sub in ("keys", "certs", "trust", "officers"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(directory / "keys", 0o700)

    config = _concrete_config(url, officers, now or datetime.now(UTC))
    for label in (*INFRASTRUCTURE, *(o.label for o in officers)):
        _ensure_key(directory / "keys" / f"{label}.key.pem", key_type)
    (directory / CONFIG).write_text(
        "# Generated by `thongthin pki dev` from signing/dev-pki.yml; development only.\n"
        + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    try:
        arch = CertomancerConfig(config, key_search_dir=str(directory)).pki_archs[ARCH]
    except Exception as error:  # certomancer raises many kinds; all mean a broken configuration
        raise PkiError(f"certomancer rejected the development PKI configuration: {error}") from error

    for label in INFRASTRUCTURE:
        _write_pem(directory / "certs" / f"{label}.cert.pem", arch.get_cert(label))
    _write_pem(directory / "trust" / "root.cert.pem", arch.get_cert("root"))

    secret = (password or _stored_or_new_password(directory)).encode("utf-8")
    credentials = []
    for officer in officers:
        path = directory / "officers" / officer.tenant / f"{officer.role}.p12"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(arch.package_pkcs12(officer.label, password=secret))
        path.chmod(0o600)
        credentials.append(
            {
                "tenant": officer.tenant,
                "role": officer.role,
                "name": officer.name,
                "organization": officer.organization,
                "p12": str(path.relative_to(directory)),
            }
        )
    manifest = {
        "architecture": ARCH,
        "url": url,
        "created": datetime.now(UTC).isoformat(),
        "officers": credentials,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return DevPki.load(directory)


def ensure_dev_pki(directory: Path, officers: Sequence[Officer], *, url: str = DEFAULT_URL) -> DevPki:
    """The PKI in ``directory`` if it serves ``url`` and has every officer; otherwise (re)create it."""
    try:
        pki = DevPki.load(directory)
    except PkiError:
        return create_dev_pki(directory, officers, url=url)
    have = {(c.tenant, c.role) for c in pki.officers if c.p12.exists()}
    if pki.url == url.rstrip("/") and {(o.tenant, o.role) for o in officers} <= have:
        return pki
    # Keep the officers made before (another tenant, say) next to the ones asked for now.
    asked = {(o.tenant, o.role) for o in officers}
    kept = [
        Officer(c.tenant, c.role, c.name, c.organization)
        for c in pki.officers
        if (c.tenant, c.role) not in asked
    ]
    return create_dev_pki(directory, [*officers, *kept], url=url)


def _concrete_config(url: str, officers: Sequence[Officer], now: datetime) -> dict[str, Any]:
    """The template with URLs, dates and one certificate per officer filled in."""
    config = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    config["external-url-prefix"] = url
    arch = config["pki-architectures"][ARCH]
    keys = config["keysets"][ARCH]["keys"]
    template = arch["certs"].pop("officer")
    for officer in officers:
        keys[officer.label] = {"path": f"{officer.label}.key.pem"}
        arch["entities"][officer.label] = {
            "common-name": officer.name,
            "organization-name": officer.organization,
            "organizational-unit-name": officer.role,
        }
        arch["certs"][officer.label] = {**copy.deepcopy(template), "subject": officer.label}
    # Valid from the start of yesterday, so a clock a little behind still accepts them.
    created = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    for spec in arch["certs"].values():
        spec["validity"] = {k: _resolve_date(v, created) for k, v in spec["validity"].items()}
    return config


def _resolve_date(marker: str, created: datetime) -> str:
    """``@created`` or ``@created+NY`` (N years later) as certomancer's ISO 8601 form."""
    if not marker.startswith("@created"):
        return marker
    moment = created
    if marker != "@created":
        years = int(marker.removeprefix("@created+").removesuffix("Y"))
        moment = created + timedelta(days=365 * years + years // 4)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _ensure_key(path: Path, key_type: KeyType) -> None:
    if path.exists():
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = (
        ec.generate_private_key(ec.SECP256R1())
        if key_type == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    )
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Create it private from the start rather than chmod after writing.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_pem(path: Path, certificate: x509.Certificate) -> None:
    path.write_bytes(pem.armor("CERTIFICATE", certificate.dump()))


def _stored_or_new_password(directory: Path) -> str:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    path = directory / PASSWORD_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    secret = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


class DevPkiServer:
    """The PKI's TSA/OCSP/CRL service on loopback, served by werkzeug in a daemon thread.

    Bind first (port 0 picks a free port), create the PKI for :attr:`url`, then :meth:`start`:

        server = DevPkiServer(port=0)
        pki = create_dev_pki(folder, officers, url=server.url)
        server.start(pki)
        ...
        server.stop()
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                """One line per OCSP/TSA request would drown the demo's own log."""

        self._app: Any = None
        try:
            self._server = make_server(
                host, port, self._dispatch, threaded=True, request_handler=QuietHandler
            )
        except OSError as error:
            raise PkiError(f"cannot listen on {host}:{port} ({error.strerror or error})") from None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def _dispatch(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self._app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"development PKI not loaded yet\n"]
        return self._app(environ, start_response)

    def start(self, pki: DevPki) -> DevPkiServer:
        """Serve ``pki`` in a background thread; raises PkiError if it names another address."""
        if pki.url != self.url:
            raise PkiError(f"the PKI was made for {pki.url}, this server listens on {self.url}")
        self._app = pki.animator()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="thongthin-dev-pki", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self, pki: DevPki) -> None:
        """Serve ``pki`` on this thread until interrupted."""
        if pki.url != self.url:
            raise PkiError(f"the PKI was made for {pki.url}, this server listens on {self.url}")
        self._app = pki.animator()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()


def serve_dev_pki(pki: DevPki) -> DevPkiServer:
    """Start the service of ``pki`` in the background on the address its certificates name."""
    parts = urlsplit(pki.url)
    return DevPkiServer(parts.hostname or "127.0.0.1", parts.port or 80).start(pki)
