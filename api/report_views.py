"""The console's read-only reports over the API: a municipality administrator's bearer token only."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from api.auth import admin_of
from api.views import blueprint, tenant_or_404
from engine.services import dashboard
from thongthin.app import platform


def _figures(stats: dashboard.ServiceStats | dashboard.Dashboard) -> dict[str, Any]:
    return {
        "total": stats.total,
        "open": stats.open,
        "open_overdue": stats.open_overdue,
        "closed": stats.closed,
        "closed_in_time": stats.closed_in_time,
        "compliance": round(stats.compliance, 4) if stats.compliance is not None else None,
    }


@blueprint.get("/tenants/<tenant>/reports/dashboard")
def dashboard_report(tenant: str) -> Any:
    """The console dashboard's figures: applications per service and state, open, overdue, in time."""
    found = tenant_or_404(tenant)
    admin_of(found, "read the console's reports", "ดูรายงานของหน่วยงานได้")
    catalog = platform().catalog
    report = platform().db(dashboard.dashboard(found, list(catalog)))
    services = []
    for stats in report.services:
        definition = catalog.services.get(stats.service_id)
        states = definition.workflow.states if definition else {}
        services.append(
            {
                "service_id": stats.service_id,
                "title": definition.service.title.model_dump() if definition else None,
                **_figures(stats),
                "withdrawn": stats.withdrawn,
                "by_state": [
                    {
                        "state": state,
                        "title": states[state].title.model_dump() if state in states else None,
                        "count": count,
                    }
                    for state, count in sorted(stats.by_state.items())
                ],
            }
        )
    return jsonify({**_figures(report), "services": services})
