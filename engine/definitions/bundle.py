"""A service version as data: its four documents and its other files, hashed and written back.

Published versions are stored as bundles (in the database), and turned back into the folder
layout the loader and the document renderer read, in a cache folder named by the content hash,
so every node of a deployment reads the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.definitions.problems import Problem

SERVICE_FILES = ("service.json", "form.json", "ui.json", "workflow.json")
# Beside the documents a folder may hold templates and example submissions; nothing else.
FILE_FOLDERS = ("templates", "examples")
MAX_FILE_BYTES = 512 * 1024
MAX_FILES = 200


@dataclass(frozen=True)
class ServiceBundle:
    """The parsed documents (by file name) and the text files (by relative path) of one version."""

    documents: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)

    @property
    def service_id(self) -> str:
        return str(self.documents["service.json"].get("id", ""))

    @property
    def version(self) -> str:
        return str(self.documents["service.json"].get("version", ""))

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of documents and files: equal content, equal hash."""
        canonical = json.dumps(
            {"documents": self.documents, "files": self.files},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def write(self, folder: Path) -> None:
        """Write the folder layout (documents indented as the catalog keeps them)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, document in self.documents.items():
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
            (folder / name).write_text(text, encoding="utf-8")
        for relative, text in self.files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def materialise(self, cache: Path) -> Path:
        """The folder ``cache/<hash>/<id>`` holding this bundle, written once and atomically."""
        home = cache / self.content_hash[:32]
        folder = home / self.service_id
        if (folder / "service.json").is_file():
            return folder
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache))
        try:
            self.write(staging / self.service_id)
            try:
                os.rename(staging, home)
            except OSError:  # another process wrote the same content first
                if not (folder / "service.json").is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return folder


def read_bundle(
    folder: Path, problems: list[Problem], *, examples: Path | None = None
) -> ServiceBundle | None:
    """The bundle of a service folder; None (with problems recorded) when a file cannot be read.

    ``examples`` is where the service's example submissions live when the folder has no
    ``examples/`` of its own (the national seed keeps them in the project's ``examples/``).
    """
    documents: dict[str, Any] = {}
    for name in SERVICE_FILES:
        path = folder / name
        try:
            documents[name] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(Problem(path, "", "file is missing"))
        except json.JSONDecodeError as error:
            problems.append(
                Problem(path, "", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
            )
        except UnicodeDecodeError:
            problems.append(Problem(path, "", "file is not UTF-8 text"))
    files: dict[str, str] = {}
    for sub in FILE_FOLDERS:
        base = folder / sub
        if sub == "examples" and not base.is_dir() and examples is not None:
            base = examples
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file() and not p.name.startswith(".")):
            relative = f"{sub}/{path.relative_to(base).as_posix()}"
            if len(files) >= MAX_FILES:
                problems.append(Problem(path, "", f"a service may hold at most {MAX_FILES} files"))
                break
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.append(Problem(path, "", f"file is larger than {MAX_FILE_BYTES // 1024} KiB"))
                continue
            try:
                files[relative] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(path, "", "file is not UTF-8 text"))
    if len(documents) < len(SERVICE_FILES):
        return None
    return ServiceBundle(documents=documents, files=files)
