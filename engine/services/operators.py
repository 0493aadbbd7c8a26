"""The national operator: the analysts who author the catalog, above every municipality.

Their accounts live in a tenant of their own (:data:`OPERATOR_TENANT`), with the role
:data:`OPERATOR_ROLE`, so logging in, passwords, two-factor login and throttling are the
officers' own; nothing an operator does reaches a municipality's applications.
"""

from __future__ import annotations

from engine.services import accounts
from engine.services.errors import AuthenticationFailed
from engine.services.tenants import ensure_tenant
from engine.store.models import Tenant, User

OPERATOR_TENANT = "national"
OPERATOR_ROLE = "operator"


async def operator_tenant() -> Tenant:
    """The operator's own tenant, created on first use."""
    return await ensure_tenant(
        OPERATOR_TENANT,
        name_th="ผู้ดูแลแคตตาล็อกบริการระดับประเทศ",
        name_en="National service catalog",
        kind="operator",
        province="กรุงเทพมหานคร",
        reference_prefix="NA",
    )


async def is_operator(user: User) -> bool:
    tenant = await Tenant.get_or_none(id=user.tenant_id)
    return (
        tenant is not None
        and tenant.slug == OPERATOR_TENANT
        and OPERATOR_ROLE in await accounts.roles_of(user)
    )


async def authenticate(username: str, password: str, code: str | None = None, *, address: str = "") -> User:
    """An operator's login; raises :class:`AuthenticationFailed` (also for an officer of a municipality)."""
    user = await accounts.authenticate(OPERATOR_TENANT, username, password, code, address=address)
    if not await is_operator(user):
        raise AuthenticationFailed()
    return user
