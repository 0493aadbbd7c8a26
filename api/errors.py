"""Every API error is JSON with a stable ``code`` and a human message, never an HTML page."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from engine.definitions import UnknownService
from engine.definitions.editing import EditRefused
from engine.services.errors import (
    AuthenticationFailed,
    CatalogVersionConflict,
    DefinitionRefused,
    NotFound,
    ServiceError,
    StaleSubmission,
    SubmissionInvalid,
)
from engine.services.payments import BadSignature, InvalidPayment, TransactionConflict
from engine.services.studio import DraftExists, InvalidBundle, StaleDraft
from engine.services.throttle import TooManyAttempts
from engine.workflow import (
    ActionNotAvailable,
    AlreadyVoted,
    GuardFailed,
    InvalidInput,
    NotPermitted,
    UnknownAction,
    WorkflowError,
)


class ApiError(Exception):
    """An error raised by the API layer itself (bad request shape, missing credentials)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def error_response(status: int, code: str, message: str, **extra: Any) -> Any:
    response = jsonify({"code": code, "message": message, **extra})
    response.status_code = status
    return response


STATUS_OF: list[tuple[type[Exception], int]] = [
    (AuthenticationFailed, 401),
    (CatalogVersionConflict, 409),
    (StaleDraft, 409),
    (DraftExists, 409),
    (DefinitionRefused, 422),
    (InvalidBundle, 422),
    (EditRefused, 422),
    (BadSignature, 401),
    (TooManyAttempts, 429),
    (TransactionConflict, 409),
    (InvalidPayment, 422),
    (NotPermitted, 403),
    (NotFound, 404),
    (UnknownService, 404),
    (StaleSubmission, 409),
    (ActionNotAvailable, 409),
    (AlreadyVoted, 409),
    (GuardFailed, 409),
    (SubmissionInvalid, 422),
    (InvalidInput, 422),
    (UnknownAction, 422),
    (WorkflowError, 422),
    (ServiceError, 400),
]


def _handle(error: Exception) -> Any:
    if isinstance(error, ApiError):
        response = error_response(error.status, error.code, error.message, **error.extra)
        if "retry_after" in error.extra:
            response.headers["Retry-After"] = str(error.extra["retry_after"])
        return response
    status = next(code for kind, code in STATUS_OF if isinstance(error, kind))
    code = getattr(error, "code", "error")
    extra: dict[str, Any] = {}
    if isinstance(error, SubmissionInvalid | InvalidInput):
        extra["errors"] = [e.as_dict() for e in error.errors]
    if isinstance(error, SubmissionInvalid) and error.more_errors:
        extra["more_errors"] = error.more_errors
    if isinstance(error, GuardFailed):
        extra["message_th"] = error.message_th
    if isinstance(error, InvalidPayment):
        extra["field"] = error.field
    if isinstance(error, UnknownService):
        code = "service_not_found"
    if isinstance(error, DefinitionRefused):
        extra["problems"] = [
            {"file": str(p.file), "pointer": p.pointer, "message": p.message} for p in error.problems
        ]
    if isinstance(error, EditRefused):
        code, extra["pointer"] = "edit_refused", error.where
    response = error_response(status, code, str(error), **extra)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.seconds)
    return response


def _handle_anywhere(error: Exception) -> Any:
    """JSON under /api/; elsewhere the matching HTTP error page (the web pages render their own)."""
    response = _handle(error)
    if request.path.startswith("/api/"):
        return response
    return default_exceptions[response.status_code](description=str(error))


def register_error_handlers(app: Flask) -> None:
    for kind in (ApiError, ServiceError, WorkflowError, UnknownService, EditRefused):
        app.register_error_handler(kind, _handle_anywhere)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            code = (error.name or "error").lower().replace(" ", "_")
            return error_response(error.code or 500, code, error.description or error.name)
        return error

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("unhandled error on %s", request.path)
        if request.path.startswith("/api/"):
            return error_response(
                500, "server_error", "Something went wrong on our side; nothing was changed."
            )
        return render_template("error.html", status=500), 500
