"""One exception per kind of refusal, all of them :class:`ApiError` with the server's code and messages.

Everything the client raises on purpose is a :class:`ThongthinError`: the server's refusals
(:class:`ApiError` and its kinds) and a webhook delivery that fails its check (:class:`InvalidSignature`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One wrong answer: where (a JSON pointer into the data) and what, in Thai and English."""

    pointer: str
    message_th: str
    message_en: str
    # The step of the form that asks it, where the server says (a draft's steps and submission).
    step_id: str | None = None

    def message(self, language: str = "th") -> str:
        return self.message_en if language == "en" else self.message_th


class ThongthinError(Exception):
    """The base of every exception the client raises on purpose."""


class InvalidSignature(ThongthinError):
    """A webhook delivery whose signature does not match its body, or sent too long ago (a replay).

    Answer the delivery with 401 and do not act on it.
    """


class ApiError(ThongthinError):
    """The server refused the request: its HTTP status, stable ``code`` and messages.

    ``message`` is English; ``message_th`` is the Thai text where the server has one (otherwise
    empty). ``errors`` lists the wrong answers of a form; ``body`` is the whole JSON answer, for
    what a particular refusal adds (``field``, ``pointer``, ``problems``...).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        message_th: str = "",
        errors: list[FieldError] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.message_th = message_th
        self.errors: list[FieldError] = errors or []
        self.body: dict[str, Any] = body or {}


class Unauthorized(ApiError):
    """401: no credentials, or an unknown or expired token, or a wrong password."""


class Forbidden(ApiError):
    """403: the credentials are good but not for this (another municipality, another role)."""


class NotFound(ApiError):
    """404: no such municipality, service, submission, or a tracking token that does not match."""


class Conflict(ApiError):
    """409: the submission changed since it was read (send the current ``version``)."""


class ValidationFailed(ApiError):
    """422: the data was refused; ``errors`` says which answers and why, in Thai and English.

    A draft's step refused (``code`` ``invalid_step``) names it in ``step_id``; nothing was stored.
    """

    @property
    def step_id(self) -> str | None:
        """The step of a draft that was refused, else None."""
        given = self.body.get("step_id")
        return given if isinstance(given, str) else None

    @property
    def more_errors(self) -> int:
        """How many further errors the server found but did not list."""
        return _int_or_none(self.body.get("more_errors")) or 0


class RateLimited(ApiError):
    """429: too many attempts; try again after ``retry_after`` seconds."""

    def __init__(self, *args: Any, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_from(status: int, body: Any, text: str = "", retry_after_header: str | None = None) -> ApiError:
    """The exception for an answer with ``status`` (400 or more) and its decoded JSON ``body``."""
    if not isinstance(body, dict):
        # Not the API's own shape (a proxy's error page, a gateway timeout): keep what it said.
        return _BY_STATUS.get(status, ApiError)(
            status, f"http_{status}", text.strip()[:500] or f"HTTP {status}"
        )
    errors = [
        FieldError(
            pointer=str(item.get("pointer", "")),
            message_th=str(item.get("message_th", "")),
            message_en=str(item.get("message_en", "")),
            step_id=item["step_id"] if isinstance(item.get("step_id"), str) else None,
        )
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    fields: dict[str, Any] = {
        "message_th": str(body.get("message_th") or ""),
        "errors": errors,
        "body": body,
    }
    code = str(body.get("code") or f"http_{status}")
    message = str(body.get("message") or "")
    if status == 429:
        retry_after = _int_or_none(retry_after_header)
        if retry_after is None:
            retry_after = _int_or_none(body.get("retry_after"))
        return RateLimited(status, code, message, retry_after=retry_after, **fields)
    return _BY_STATUS.get(status, ApiError)(status, code, message, **fields)
