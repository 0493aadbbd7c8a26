"""The roles the platform itself gives a meaning to; the catalog's services name the rest.

``schemas/catalog/roles.json`` lists every role with its Thai and English title. The ones here
are those a rule of the platform checks by name: who runs the console, who sees money, who
answers data requests, and the two that nobody logs in with.
"""

from __future__ import annotations

ADMIN_ROLE = "admin"
FINANCE_ROLE = "finance_officer"
PRIVACY_ROLE = "privacy_officer"

# The citizen and the platform's own steps: nobody logs in to the back office with them.
NOT_FOR_OFFICERS = frozenset({"applicant", "system"})
# An API key acts for a program, never as the administrator or in place of a citizen.
NOT_FOR_KEYS = NOT_FOR_OFFICERS | {ADMIN_ROLE}

# Billing runs, payments to review, bank statements and the billing report.
FINANCE_ROLES = frozenset({ADMIN_ROLE, FINANCE_ROLE})
# Data requests of citizens and the personal-data access log.
PRIVACY_ROLES = frozenset({ADMIN_ROLE, PRIVACY_ROLE})
