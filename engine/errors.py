"""The root of every error the engine raises; each area derives its own small hierarchy.

Each class may say once, as ``http_status``, what an entry point answers when it escapes a
request (404 for something not found, 409 for a conflict, …); :func:`http_status` finds it
the way Flask finds an error handler, walking the class hierarchy from the error up.
"""

from __future__ import annotations


class ThongthinError(Exception):
    """Base class of the engine's errors."""

    http_status = 500


def http_status(error: BaseException) -> int:
    """The status the nearest class of ``error`` declares (500 for errors that declare none)."""
    for cls in type(error).__mro__:
        status = cls.__dict__.get("http_status")
        if isinstance(status, int):
            return status
    return 500
