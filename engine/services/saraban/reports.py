"""How much correspondence each unit holds, and how much of it is overdue (the console's view)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from engine.saraban.errors import NotAllowed
from engine.services.desk import Sla, sla_of
from engine.services.saraban.organisation import ADMIN, Actor
from engine.store.models import Letter, OrgUnit, RoutingStep, Tenant, UnitMember

OPEN = ("received", "in_progress", "draft", "signed")


@dataclass(frozen=True)
class UnitLoad:
    unit: OrgUnit
    held: int
    overdue: int
    due_soon: int


async def workload_for(tenant: Tenant, actor: Actor, *, now: datetime | None = None) -> list[UnitLoad]:
    """:func:`workload`, for the registry and administrators; raises NotAllowed for anyone else."""
    if not (actor.is_clerk or ADMIN in actor.roles):
        raise NotAllowed(
            "only the registry or an administrator sees the workload",
            th="ดูภาระงานได้เฉพาะเจ้าหน้าที่สารบรรณกลางหรือผู้ดูแลระบบ",
        )
    return await workload(tenant, now=now)


async def workload(tenant: Tenant, *, now: datetime | None = None) -> list[UnitLoad]:
    """Per unit: the open letters held by the unit or by one of its members, and how many are late.

    A letter's due time is that of the step that sent it where it is (or its ด่วนภายใน)."""
    moment = now or datetime.now(UTC)
    units = await OrgUnit.filter(tenant_id=tenant.id, active=True).order_by("id")
    members: dict[str, set[str]] = {}
    for unit_code, user_id in await UnitMember.filter(tenant_id=tenant.id).values_list(
        "unit__code", "user_id"
    ):
        members.setdefault(str(unit_code), set()).add(str(user_id))
    held = await Letter.filter(tenant_id=tenant.id, status__in=list(OPEN), holder_kind__in=["unit", "user"])
    due: dict[int, datetime | None] = {letter.id: letter.due_at for letter in held}
    for step in await RoutingStep.filter(letter_id__in=list(due)).order_by("seq"):
        if step.due_at is not None:
            due[step.letter_id] = step.due_at
    loads = []
    for unit in units:
        mine = [
            letter
            for letter in held
            if (letter.holder_kind == "unit" and letter.holder == unit.code)
            or (letter.holder_kind == "user" and letter.holder in members.get(unit.code, set()))
        ]
        states = [sla_of(due[letter.id], moment) for letter in mine]
        loads.append(UnitLoad(unit, len(mine), states.count(Sla.OVERDUE), states.count(Sla.SOON)))
    return loads
