"""Log lines: human text (the default) or one JSON object per line (``LOG_FORMAT=json``).

Every line carries the request ID (``X-Request-Id``, or the job's when the worker runs one) and
the tenant when known, and no personal data: national ID numbers and phone numbers are masked in
every message, argument and traceback before any handler writes them.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from engine import context

# Thai and Arabic digits alike; separators a person types between groups.
_D = "[0-9\u0e50-\u0e59]"
_SEP = "[ -]?"
NATIONAL_ID = re.compile(
    rf"(?<![0-9\u0e50-\u0e59]){_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{5}}{_SEP}{_D}{{2}}{_SEP}{_D}(?![0-9\u0e50-\u0e59])"
)
# 0X-XXXX-XXXX, 0XX-XXX-XXXX, 0X-XXX-XXXX (9 or 10 digits from a leading 0), or +66 and the rest.
PHONE = re.compile(
    rf"(?<![0-9\u0e50-\u0e59+])(?:\+66{_SEP}|[0\u0e50])[2-9\u0e52-\u0e59](?:{_SEP}{_D}){{7,8}}(?![0-9\u0e50-\u0e59])"
)
MASKED_ID = "[national-id]"
MASKED_PHONE = "[phone]"

# The request line's own fields (``extra=`` of the ``thongthin.request`` logger).
REQUEST_FIELDS = ("method", "route", "path", "status", "duration_ms")
request_log = logging.getLogger("thongthin.request")


def mask(text: str) -> str:
    """``text`` with national ID numbers and Thai phone numbers replaced by placeholders."""
    return PHONE.sub(MASKED_PHONE, NATIONAL_ID.sub(MASKED_ID, text))


class MaskPersonalData(logging.Filter):
    """Masks the message with its arguments merged in, the traceback, and the request line's path."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        path = getattr(record, "path", None)
        if isinstance(path, str):
            record.path = mask(path)
        return True


class RequestContext(logging.Filter):
    """Adds ``request_id`` and ``tenant`` (from :mod:`engine.context`) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # gunicorn's access line is written after the request: its answer's header has the ID.
            answered = record.args.get("{x-request-id}o") if isinstance(record.args, dict) else None
            record.request_id = context.request_id.get() or answered or "-"
        if not getattr(record, "tenant", None):
            record.tenant = context.tenant_slug.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, tenant, and the request
    line's method, route, path, status and duration_ms; ``error`` holds a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or context.request_id.get()
        tenant = getattr(record, "tenant", None) or context.tenant_slug.get()
        if request_id and request_id != "-":
            line["request_id"] = request_id
        if tenant and tenant != "-":
            line["tenant"] = tenant
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["error"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class QuietProbes(logging.Filter):
    """Drops gunicorn's access lines of health checks and scrapes (several a minute per node)."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        return not (isinstance(atoms, dict) and atoms.get("U") in PROBES)


TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s [%(request_id)s] %(message)s"


def dict_config(log_format: str, *, stream: str = "ext://sys.stderr") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for the platform's processes (gunicorn's ``logconfig_dict``).

    Both formats mask personal data and carry the request ID; in text format the request line is
    left to gunicorn's access log, in JSON it replaces it.
    """
    formatter: dict[str, Any] = (
        {"()": "thongthin.logs.JsonFormatter"}
        if log_format == "json"
        else {"format": TEXT_FORMAT, "datefmt": "%Y-%m-%d %H:%M:%S %z"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "thongthin",
        "filters": ["context", "mask"],
        "stream": stream,
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "thongthin.logs.RequestContext"},
            "mask": {"()": "thongthin.logs.MaskPersonalData"},
            "probes": {"()": "thongthin.logs.QuietProbes"},
        },
        "formatters": {"thongthin": formatter},
        "handlers": {"thongthin": handler},
        "root": {"level": "INFO", "handlers": ["thongthin"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["thongthin"], "propagate": False},
            # JSON: the application's request line (with route, tenant and request ID) replaces it.
            "gunicorn.access": {
                "level": "WARNING" if log_format == "json" else "INFO",
                "handlers": ["thongthin"],
                "filters": ["probes"],
                "propagate": False,
            },
            "thongthin.request": {"level": "INFO" if log_format == "json" else "WARNING"},
            # pyHanko reports every validation detail at INFO.
            "pyhanko": {"level": "WARNING"},
        },
    }


def configure(log_format: str) -> None:
    """Set up this process's logging (``thongthin worker``; gunicorn takes :func:`dict_config`)."""
    from logging.config import dictConfig

    dictConfig(dict_config(log_format))
