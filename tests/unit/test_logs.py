"""Log lines: one JSON object per line when asked, the request's ID and tenant on every line, and
no national ID or phone number in any of them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from engine import context
from thongthin.logs import JsonFormatter, MaskPersonalData, QuietProbes, RequestContext, dict_config, mask
from thongthin.settings import Settings


@pytest.mark.parametrize(
    "text",
    [
        "1-2345-67890-12-1",
        "1 2345 67890 12 1",
        "1234567890121",
        "๑-๒๓๔๕-๖๗๘๙๐-๑๒-๑",
        "๑๒๓๔๕๖๗๘๙๐๑๒๑",
    ],
)
def test_national_ids_are_masked(text: str):
    assert mask(f"applicant {text} asked") == "applicant [national-id] asked"


@pytest.mark.parametrize(
    "text",
    [
        "08-1234-5678",
        "081-234-5678",
        "0812345678",
        "02-123-4567",
        "+66 81 234 5678",
        "+66812345678",
        "๐๘๑๒๓๔๕๖๗๘",
    ],
)
def test_phone_numbers_are_masked(text: str):
    assert mask(f"sms to {text}.") == "sms to [phone]."


@pytest.mark.parametrize(
    "text",
    [
        "effect job 12345 done in 0.250 s",
        "reference GP-2569-000123",
        "amount 1500.00 on 2026-12-04",
        "bill GB000007 ref2 0",
        "12345678901234 is fourteen digits",
        "request 3f2a9c1b7d8e4f60a1b2c3d4e5f60718",
    ],
)
def test_other_numbers_stay(text: str):
    assert mask(text) == text


def _record(message: str, *args: Any, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("thongthin.test", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_masking_covers_arguments_paths_and_tracebacks():
    try:
        raise ValueError("no citizen 1-2345-67890-12-1 here")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "lookup %s by %s",
            ("1234567890121", "0812345678"),
            sys.exc_info(),
        )
    record.path = "/t/lookup/1234567890121"
    MaskPersonalData().filter(record)
    assert record.getMessage() == "lookup [national-id] by [phone]"
    assert record.path == "/t/lookup/[national-id]"
    assert "1-2345-67890-12-1" not in (record.exc_text or "") and "[national-id]" in (record.exc_text or "")


def test_the_json_line_has_the_request_and_its_outcome():
    record = _record(
        "%s %s %s %.1f ms",
        "GET",
        "/<tenant>/track/<reference>",
        200,
        12.5,
        method="GET",
        route="/<tenant>/track/<reference>",
        path="/maehia/track/GP-1",
        status=200,
        duration_ms=12.5,
    )
    with context.working("req-1", "maehia"):
        RequestContext().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO" and line["logger"] == "thongthin.test"
    assert line["message"] == "GET /<tenant>/track/<reference> 200 12.5 ms"
    assert line["request_id"] == "req-1" and line["tenant"] == "maehia"
    assert (line["route"], line["status"], line["duration_ms"], line["method"]) == (
        "/<tenant>/track/<reference>",
        200,
        12.5,
        "GET",
    )
    assert line["time"].endswith("+00:00")


def test_a_line_outside_a_request_has_no_request_fields():
    line = json.loads(JsonFormatter().format(_record("worker started")))
    assert set(line) == {"time", "level", "logger", "message"}


def test_probes_stay_out_of_the_access_log():
    record = _record(
        '%(h)s "%(r)s" %(s)s', {"U": "/healthz", "h": "127.0.0.1", "r": "GET /healthz", "s": "200"}
    )
    assert not QuietProbes().filter(record)
    record = _record(
        '%(h)s "%(r)s" %(s)s', {"U": "/maehia/", "h": "127.0.0.1", "r": "GET /maehia/", "s": "200"}
    )
    assert QuietProbes().filter(record)


def test_the_setting_picks_the_format(tmp_path: Any):
    assert Settings.from_env({}, data_dir=tmp_path).log_format == "text"
    assert Settings.from_env({"LOG_FORMAT": "JSON"}, data_dir=tmp_path).log_format == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        Settings.from_env({"LOG_FORMAT": "xml"}, data_dir=tmp_path)
    config = dict_config("json")
    assert config["formatters"]["thongthin"] == {"()": "thongthin.logs.JsonFormatter"}
    assert config["loggers"]["thongthin.request"]["level"] == "INFO"
    # As text, gunicorn's access line says what the request line would.
    assert dict_config("text")["loggers"]["thongthin.request"]["level"] == "WARNING"


def test_metrics_allow_is_checked(tmp_path: Any):
    assert Settings.from_env({}, data_dir=tmp_path).metrics_allow == ("127.0.0.1/32", "::1/128")
    allowed = Settings.from_env({"METRICS_ALLOW": "10.0.0.5, 192.168.0.0/24"}, data_dir=tmp_path)
    assert allowed.metrics_allow == ("10.0.0.5/32", "192.168.0.0/24")
    with pytest.raises(ValueError, match="METRICS_ALLOW"):
        Settings.from_env({"METRICS_ALLOW": "prometheus.internal"}, data_dir=tmp_path)


def test_sane_request_ids():
    assert context.sane_request_id("abc-DEF_1.2") == "abc-DEF_1.2"
    for odd in ("", "a" * 129, "a b", "a/b", "ก", None):
        assert context.sane_request_id(odd) is None


def test_gunicorn_sums_the_workers_metrics_in_a_folder_of_its_own():
    """Under gunicorn (its config module loaded first) counters go to PROMETHEUS_MULTIPROC_DIR."""
    import os
    import subprocess
    import sys

    script = """
import os
from types import SimpleNamespace
from thongthin import gunicorn_conf
folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
assert folder and os.path.isdir(folder)
gunicorn_conf.on_starting(None)
from thongthin import metrics
metrics.observe_request("/<tenant>/", "GET", 200, 0.01)
text = metrics.exposition(None)[0].decode()
assert 'thongthin_http_requests_total{method="GET",route="/<tenant>/",status="200"} 1.0' in text, text
gunicorn_conf.child_exit(None, SimpleNamespace(pid=os.getpid()))
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "LOG_FORMAT")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
