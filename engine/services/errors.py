"""Errors of the service layer; each carries a stable ``code`` that the API returns."""

from __future__ import annotations

from collections.abc import Sequence

from engine.definitions.problems import Problem
from engine.errors import ThongthinError
from engine.forms.errors import FieldError


class ServiceError(ThongthinError):
    http_status = 400
    code = "error"


class NotFound(ServiceError):
    """Nothing by that name here, or nothing this caller may see (the two are not told apart)."""

    http_status = 404

    code = "not_found"


class TenantNotFound(NotFound):
    code = "tenant_not_found"

    def __init__(self, slug: str):
        self.slug = slug
        super().__init__(f"no municipality {slug!r}")


class ServiceNotEnabled(NotFound):
    code = "service_not_enabled"

    def __init__(self, slug: str, service_id: str):
        self.service_id = service_id
        super().__init__(f"{slug!r} does not offer the service {service_id!r}")


class SubmissionNotFound(NotFound):
    code = "submission_not_found"

    def __init__(self, reference: str):
        self.reference = reference
        super().__init__(f"no submission {reference!r}")


class SubmissionInvalid(ServiceError):
    """The form data does not validate; nothing was stored."""

    http_status = 422

    code = "invalid_submission"

    def __init__(self, errors: Sequence[FieldError]):
        self.errors = list(errors)
        # Problems found beyond those listed (see engine.forms.errors.MAX_ERRORS).
        self.more_errors: int = getattr(errors, "more", 0)
        super().__init__(f"{len(self.errors) + self.more_errors} problem(s) in the submission")


class CorrectionNotAllowed(ServiceError):
    """Corrected answers were sent with an action that reopens no form step; nothing was stored."""

    code = "correction_not_allowed"

    def __init__(self, action: str):
        self.action = action
        super().__init__(f"action {action!r} does not let the applicant correct the answers")


class StaleSubmission(ServiceError):
    """Someone else changed the submission first; reload it and try again."""

    http_status = 409

    code = "conflict"

    def __init__(self, reference: str, expected: int | None, actual: int):
        self.reference = reference
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"submission {reference} changed (version {actual}, you had {expected}); reload and try again"
        )


class AuthenticationFailed(ServiceError):
    http_status = 401
    code = "unauthorized"

    def __init__(self, message: str = "wrong username or password"):
        super().__init__(message)


class WeakPassword(ServiceError):
    """A new password that is too short, too common or too easy to guess; ``reasons`` are message keys."""

    code = "weak_password"

    def __init__(self, reasons: Sequence[str]):
        self.reasons = list(reasons)
        super().__init__("the password is too easy to guess: " + ", ".join(self.reasons))


class InvalidParameters(ServiceError):
    code = "invalid_parameters"


class CatalogError(ServiceError):
    """Publishing or enabling a catalog version went wrong; nothing was stored."""

    code = "catalog_error"


class DefinitionRefused(CatalogError):
    """A service version was not published: ``problems`` lists every ``check`` problem."""

    http_status = 422

    code = "invalid_definition"

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the service definition:\n{shown}{more}")


class CatalogVersionTooLow(CatalogError):
    """A new version numbered lower than its changes call for (semantic versioning: a change
    that refuses what the previous version accepted is a new major version)."""

    http_status = 422

    code = "version_too_low"

    def __init__(self, service_id: str, version: str, previous: str, wanted: str, reasons: str):
        self.service_id = service_id
        self.version = version
        self.wanted = wanted
        super().__init__(
            f"{service_id} {version}: the changes since {previous} call for {wanted} at least ({reasons})"
        )


class CatalogVersionConflict(CatalogError):
    """This version of the service is already published with other content; publish a new version."""

    http_status = 409

    code = "version_conflict"

    def __init__(self, service_id: str, version: str):
        self.service_id = service_id
        self.version = version
        super().__init__(
            f"{service_id} {version} is already published with other content; give the change a new version"
        )
