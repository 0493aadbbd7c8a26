"""Every API error is JSON with a stable ``code`` and a human message, never an HTML page."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from engine.definitions import UnknownService
from engine.definitions.editing import EditRefused
from engine.errors import http_status
from engine.saraban.errors import InvalidLetter, SarabanError
from engine.services.errors import (
    DefinitionRefused,
    ServiceError,
    SubmissionInvalid,
)
from engine.services.onboarding import OnboardingError
from engine.services.payments import InvalidPayment
from engine.services.throttle import TooManyAttempts
from engine.services.webhooks import WebhookError
from engine.workflow import (
    GuardFailed,
    InvalidInput,
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


def _handle(error: Exception) -> Any:
    if isinstance(error, ApiError):
        response = error_response(error.status, error.code, error.message, **error.extra)
        if "retry_after" in error.extra:
            response.headers["Retry-After"] = str(error.extra["retry_after"])
        return response
    status = http_status(error)
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
    if isinstance(error, SarabanError):
        # The officer's Thai text beside the English; per field when the fields are wrong.
        extra["message_th"] = error.message_th
        if error.field:
            extra["field"] = error.field
    if isinstance(error, WebhookError):
        extra["message_th"] = error.message_th
        if error.field:
            extra["field"] = error.field
    if isinstance(error, InvalidLetter):
        extra["errors"] = [p.as_dict() for p in error.problems]
    if isinstance(error, OnboardingError):
        extra["message_th"] = error.text("th")
        problems = getattr(error, "problems", None) or []
        if problems:
            extra["errors"] = [
                {"field": p.field, "line": p.line, "message": p.message, "message_th": p.text("th")}
                for p in problems[:100]
            ]
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
