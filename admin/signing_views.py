"""Console → Signing keys (role ``admin``): which key signs the municipality's documents, role by role.

Each role that signs a document of a service the municipality offers is listed with the key
that signs for it now: the certificate the administrator uploaded (name, serial, expiry), a
key label on the platform's token, or the platform's own key. The administrator uploads a
PKCS#12 file with its password (checked whole, sealed, never shown again), names a token key,
or removes the municipality's own key so the platform's signs again. Plain forms, no script.
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from admin import admin_only, blueprint
from engine.services import signing_keys
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from renderers.web import current_language
from thongthin.app import platform
from thongthin.runners import signing_roles_of

MAX_ROLE = 64


def _roles() -> list[str]:
    return signing_roles_of(platform(), g.tenant)


def _page(errors: list[ErrorItem], *, status: int = 200, given: dict[str, str] | None = None) -> Any:
    from signing.keys import platform_token
    from signing.services import platform_signing_roles

    settings = platform().settings
    own = platform_signing_roles(settings.data_dir, g.tenant.slug, settings.environ)
    rows = platform().db(signing_keys.overview(g.tenant, _roles(), own))
    return render_template(
        "admin/console_signing.html",
        rows=rows,
        token=platform_token(settings.environ) is not None,
        max_kb=signing_keys.MAX_P12_BYTES // 1024,
        given=given or {},
        errors=errors,
        field_errors=errors_by_field(errors),
    ), status


def _refused(role: str, refused: signing_keys.SigningKeyRefused, given: dict[str, str] | None = None) -> Any:
    target = "roles" if refused.field == "role" else f"{refused.field}-{role}"
    return _page([ErrorItem(target, text=refused.message(current_language()))], status=422, given=given)


def _role_field() -> str:
    return request.form.get("role", "")[:MAX_ROLE]


def _role_title(role: str) -> str:
    spec = platform().catalog.roles.get(role)
    return spec.title.get(current_language()) if spec else role


def _trust_roots() -> list[Any]:
    """The platform's trust roots; none when none is configured (then no certificate chains to them)."""
    from signing.errors import PkiError

    try:
        return platform().trust_roots()
    except PkiError:
        return []


@blueprint.get("/console/signing")
@admin_only
def console_signing() -> Any:
    return _page([])


@blueprint.post("/console/signing/p12")
@admin_only
def console_signing_p12() -> Any:
    """Upload a PKCS#12 file and its password as a role's key (422 with the reason when refused)."""
    from signing.keys import pkcs12_check

    role = _role_field()
    sent = request.files.get("p12")
    content = sent.read(signing_keys.MAX_P12_BYTES + 1) if sent else b""
    password = request.form.get("password", "")
    roots = _trust_roots()
    try:
        platform().db(
            signing_keys.set_pkcs12(
                g.tenant,
                role,
                content,
                password.encode("utf-8"),
                roles=_roles(),
                check=pkcs12_check(roots),
                platform_key=platform().settings.secret_key,
                by=g.user,
            )
        )
    except signing_keys.SigningKeyRefused as refused:
        return _refused(role, refused)
    flash_key("admin.signing.saved", role=_role_title(role))
    return redirect(url_for("admin.console_signing"))


@blueprint.post("/console/signing/pkcs11")
@admin_only
def console_signing_pkcs11() -> Any:
    """Name a key on the platform's token as a role's key (422 with the reason when refused)."""
    from signing.keys import token_check

    role = _role_field()
    label = request.form.get("label", "")[: signing_keys.MAX_LABEL + 1]
    settings = platform().settings
    roots = _trust_roots()
    try:
        platform().db(
            signing_keys.set_pkcs11(
                g.tenant,
                role,
                label,
                roles=_roles(),
                check=token_check(settings.environ, roots),
                by=g.user,
            )
        )
    except signing_keys.SigningKeyRefused as refused:
        return _refused(role, refused, given={f"label-{role}": label})
    flash_key("admin.signing.saved", role=_role_title(role))
    return redirect(url_for("admin.console_signing"))


@blueprint.post("/console/signing/remove")
@admin_only
def console_signing_remove() -> Any:
    """Forget a role's own key: the platform's key signs for it again."""
    role = _role_field()
    if platform().db(signing_keys.remove(g.tenant, role)):
        flash_key("admin.signing.removed", role=_role_title(role))
    return redirect(url_for("admin.console_signing"))
