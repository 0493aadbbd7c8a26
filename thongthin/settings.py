"""Settings from the environment, with an embedded default that needs nothing installed."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from engine.store.config import default_database_url

DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# Who may read /metrics unless METRICS_ALLOW says otherwise: this host only.
DEFAULT_METRICS_ALLOW = "127.0.0.1/32,::1/128"
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    demo: bool = False
    secure_cookies: bool = True
    max_upload_bytes: int = 25 * 1024 * 1024
    # How many reverse proxies in front of the platform set X-Forwarded-For/-Proto (0: none are trusted).
    trusted_proxies: int = 0
    # Form posts other than files: bytes of all fields together, and how many fields.
    max_form_bytes: int = 512 * 1024
    max_form_parts: int = 1000
    # Map tiles for map pins ({z}/{x}/{y}); "off" for no map (latitude and longitude boxes only).
    tile_url: str = DEFAULT_TILE_URL
    tile_attribution: str = "© OpenStreetMap"
    # The sender of letters mailed to other agencies' saraban@ mailboxes.
    saraban_mail_from: str = "saraban@localhost"
    # How long a worker's claim on a queued effect keeps other workers off it (None: the engine's
    # five minutes); a worker that died mid-job leaves the job to the others after this.
    effect_lease_seconds: int | None = None
    # Addresses and networks that may read /metrics; every other client is answered 404.
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # Log lines as human text ("text") or one JSON object per line ("json").
    log_format: str = "text"
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, demo: bool = False, data_dir: Path | None = None
    ) -> Settings:
        """``DATABASE_URL`` (default: SQLite in the data folder), ``THONGTHIN_DATA`` (default ./var),
        ``SECRET_KEY`` (kept in the data folder when not given), ``S3_*`` for S3 blobs,
        ``THONGTHIN_SARABAN_MAIL_FROM`` (default ``saraban@`` the host of ``PUBLIC_URL``),
        ``THONGTHIN_EFFECT_LEASE_SECONDS`` (default: the engine's lease of queued effects),
        ``METRICS_ALLOW`` (who may read /metrics, default this host), ``LOG_FORMAT`` (text or json).
        """
        env = dict(os.environ if environ is None else environ)
        lease = env.get("THONGTHIN_EFFECT_LEASE_SECONDS", "").strip()
        folder = Path(data_dir or env.get("THONGTHIN_DATA", "var")).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return cls(
            data_dir=folder,
            database_url=env.get("DATABASE_URL") or default_database_url(folder),
            secret_key=env.get("SECRET_KEY") or _stored_secret(folder),
            demo=demo,
            # A demo on http://127.0.0.1 could not log in with Secure cookies.
            secure_cookies=env.get("SESSION_COOKIE_SECURE", "0" if demo else "1") == "1",
            trusted_proxies=_count(env.get("THONGTHIN_TRUSTED_PROXIES", "0"), "THONGTHIN_TRUSTED_PROXIES"),
            max_form_bytes=_count(
                env.get("THONGTHIN_MAX_FORM_BYTES", str(512 * 1024)), "THONGTHIN_MAX_FORM_BYTES"
            ),
            max_form_parts=_count(env.get("THONGTHIN_MAX_FORM_PARTS", "1000"), "THONGTHIN_MAX_FORM_PARTS"),
            tile_url=_tile_url(env.get("THONGTHIN_TILE_URL", DEFAULT_TILE_URL)),
            tile_attribution=env.get("THONGTHIN_TILE_ATTRIBUTION", "© OpenStreetMap"),
            saraban_mail_from=env.get("THONGTHIN_SARABAN_MAIL_FROM")
            or _saraban_mail_from(env.get("PUBLIC_URL", "")),
            effect_lease_seconds=(_count(lease, "THONGTHIN_EFFECT_LEASE_SECONDS") or None) if lease else None,
            metrics_allow=metrics_networks(env.get("METRICS_ALLOW", DEFAULT_METRICS_ALLOW)),
            log_format=log_format(env),
            environ=env,
        )


def _tile_url(value: str) -> str:
    """An https (or same-site) tile address with {z}, {x} and {y}; ``off`` for no map."""
    value = value.strip()
    if value in ("", "off"):
        return "off"
    parts = urlsplit(value.replace("{", "").replace("}", ""))
    if not all(k in value for k in ("{z}", "{x}", "{y}")) or (
        parts.scheme not in ("https", "") or (parts.scheme and not parts.netloc)
    ):
        raise ValueError(
            f"THONGTHIN_TILE_URL must be an https address with {{z}}, {{x}} and {{y}}, or off; not {value!r}"
        )
    return value


def tile_origin(tile_url: str) -> str:
    """What the Content-Security-Policy must allow images from for the tiles ('' when same-site or off)."""
    if tile_url == "off":
        return ""
    parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def _saraban_mail_from(public_url: str) -> str:
    """``saraban@`` the host the platform is reached at (ระเบียบฯ ฉบับที่ 4: the address starts with saraban)."""
    host = (urlsplit(public_url).hostname or "").strip(".")
    if not host or host.replace(".", "").isdigit() or ":" in host:
        host = "localhost"  # an address literal would not do as a mail domain
    return f"saraban@{host}"


def metrics_networks(value: str) -> tuple[str, ...]:
    """``METRICS_ALLOW``: comma-separated addresses or networks (``10.0.0.0/8``, ``::1``); empty: no one."""
    networks = []
    for part in value.split(","):
        if not part.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise ValueError(
                f"METRICS_ALLOW must list IP addresses or networks, not {part.strip()!r}"
            ) from None
    return tuple(networks)


def log_format(env: Mapping[str, str]) -> str:
    """``LOG_FORMAT``: ``text`` (the default) or ``json``."""
    value = (env.get("LOG_FORMAT") or "text").strip().lower()
    if value not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be text or json, not {value!r}")
    return value


def _count(value: str, name: str) -> int:
    if not value.strip().isdigit():
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _stored_secret(folder: Path) -> str:
    path = folder / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
