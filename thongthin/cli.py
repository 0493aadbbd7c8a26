"""The ``thongthin`` command: check, validate, graph and list the catalog, run benchmarks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from engine.definitions import UnknownService, check_path, glossary
from engine.definitions.locations import catalog_dir
from engine.errors import ThongthinError
from thongthin.cli_common import _read_json, _service


@click.group()
@click.version_option(package_name="thongthin")
def main() -> None:
    """Thongthin (ท้องถิ่น): citizen services of Thai local administrations as data."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--examples", type=click.Path(path_type=Path), help="Folder of example submissions per service."
)
def check(paths: tuple[Path, ...], examples: Path | None) -> None:
    """Check service definitions (a catalog folder or service folders); one line per problem.

    Also checks that this installation implements every effect type a workflow may ask for.
    """
    from thongthin.runners import installed_registry

    registry = installed_registry()
    problems: list[Any] = [
        f"effects:/{name}: no implementation is registered" for name in registry.missing_implementations()
    ]
    checked = 0
    for path in paths or (catalog_dir(),):
        catalog, found = check_path(path, examples=examples, effects=registry)
        problems.extend(found)
        checked += len(catalog)
    # The glossary: over the folders checked, and over the pages and documents when the whole
    # catalog is (the installation's own texts go with it).
    problems.extend(glossary.check_files(wording_sources(list(paths) or None)))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"ok: {checked} service(s) checked", err=True)


ROOT = Path(__file__).resolve().parent.parent
# The platform's own texts, and whether citizens read them (the glossary's "citizen" terms).
TEXT_SOURCES = (
    ("portal/locales", "th.json", True),
    ("portal/templates", "**/*.html", True),
    ("renderers/locales", "th.json", True),
    ("renderers/templates", "**/*.*", True),
    ("admin/locales", "th.json", False),
    ("admin/templates", "**/*.html", False),
    ("studio/locales", "th.json", False),
    ("studio/templates", "**/*.html", False),
)


def wording_sources(paths: list[Path] | None) -> list[tuple[Path, bool]]:
    """The files the glossary reads: the service folders under ``paths`` (citizens read them),
    or, without paths, the whole catalog and the platform's locale files and templates."""
    folders = paths if paths is not None else [catalog_dir()]
    found = [
        (f, True)
        for folder in folders
        for f in sorted(Path(folder).rglob("*"))
        if f.suffix in (".json", ".j2")
    ]
    if paths is None:
        for folder, pattern, citizen in TEXT_SOURCES:
            found.extend((f, citizen) for f in sorted((ROOT / folder).glob(pattern)) if f.is_file())
    return found


@main.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("arguments", nargs=-1, metavar="[SERVICE_ID] DATA")
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(path_type=Path),
    help="Validate against this JSON Schema instead.",
)
@click.option("--lang", type=click.Choice(["th", "en"]), default="th", show_default=True)
def validate(arguments: tuple[str, ...], schema_path: Path | None, lang: str) -> None:
    """Validate DATA (a submission, JSON) against a catalog service or --schema; one line per error."""
    from engine.forms import compile_schema, validate_submission

    if schema_path is not None and len(arguments) == 1:
        errors = compile_schema(_read_json(schema_path)).errors(_read_json(Path(arguments[0])))
    elif schema_path is None and len(arguments) == 2:
        service_id, data = arguments
        errors = validate_submission(_service(service_id), _read_json(Path(data)))
    else:
        raise click.UsageError("give SERVICE_ID and DATA, or --schema SCHEMA.json and DATA")
    for error in errors:
        click.echo(f"{error.pointer or '/'}: {error.message(lang)}")
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("service_id")
@click.option("--lang", type=click.Choice(["th", "en"]), default="th", show_default=True)
def graph(service_id: str, lang: str) -> None:
    """Print the service's status machine as a Mermaid state diagram."""
    from engine.workflow.graph import to_mermaid

    click.echo(to_mermaid(_service(service_id).workflow, lang))


@main.group()
def db() -> None:
    """The database named by DATABASE_URL (default: SQLite in the data folder)."""


@db.command("upgrade")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    help="Data folder (default: $THONGTHIN_DATA or ./var).",
)
def db_upgrade(data_dir: Path | None) -> None:
    """Apply every pending migration and publish the national seed's new service versions."""
    from engine.services import access_log
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env(data_dir=data_dir))
    try:
        published = platform.upgrade()
        # Applications stored before the subject index existed become findable by national ID.
        indexed = platform.db(access_log.backfill_subjects(platform.definition))
    finally:
        platform.runtime.close()
    for version in published:
        if version.new:
            click.echo(f"published {version.service_id} {version.version}", err=True)
    if indexed:
        click.echo(f"indexed the subjects of {indexed} earlier application(s)", err=True)
    click.echo("database is up to date", err=True)


@main.command()
@click.argument("name")
@click.option("--seconds", type=float, default=3.0, show_default=True, help="How long to measure each side.")
@click.option(
    "--backend",
    type=click.Choice(["sqlite", "postgres"]),
    help="Database of the benchmarks that store something (submit, saraban, exchange; default sqlite).",
)
@click.option(
    "--accounts",
    type=click.IntRange(1),
    help="Fee accounts to bill or pay (billing and scale: default 50,000; payments: 5,000).",
)
@click.option("--letters", type=click.IntRange(1), help="Letters to exchange (exchange: default 100).")
@click.option(
    "--tenants",
    type=click.IntRange(2),
    help="Administrations to seed (scale: 7,850 on postgres, 800 on sqlite).",
)
@click.option(
    "--submissions",
    type=click.IntRange(1),
    help="Applications to seed (scale: 2,000,000 on postgres, 200,000 on sqlite).",
)
@click.option(
    "--open", "open_items", type=click.IntRange(1), help="Open applications of the big city (scale: 20,000)."
)
def bench(
    name: str,
    seconds: float,
    backend: str | None,
    accounts: int | None,
    letters: int | None,
    tenants: int | None,
    submissions: int | None,
    open_items: int | None,
) -> None:
    """Run a benchmark; the last line is one JSON object (name, value, baseline, unit, ratio)."""
    import inspect

    from bench import BENCHMARKS

    if name not in BENCHMARKS:
        raise click.UsageError(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}")
    options: dict[str, Any] = {}
    if backend is not None:
        if "backend" not in inspect.signature(BENCHMARKS[name]).parameters:
            raise click.UsageError(f"benchmark {name!r} uses no database; leave out --backend")
        options["backend"] = backend
    if accounts is not None:
        if "accounts" not in inspect.signature(BENCHMARKS[name]).parameters:
            raise click.UsageError(f"benchmark {name!r} bills no accounts; leave out --accounts")
        options["accounts"] = accounts
    if letters is not None:
        if "letters" not in inspect.signature(BENCHMARKS[name]).parameters:
            raise click.UsageError(f"benchmark {name!r} exchanges no letters; leave out --letters")
        options["letters"] = letters
    for option, value in (("tenants", tenants), ("submissions", submissions), ("open_items", open_items)):
        if value is not None:
            if option not in inspect.signature(BENCHMARKS[name]).parameters:
                raise click.UsageError(f"benchmark {name!r} seeds no national data; leave out --{option}")
            options[option] = value
    result = BENCHMARKS[name](seconds=seconds, echo=click.echo, **options)
    click.echo(json.dumps(result, ensure_ascii=False))


@main.group()
def audit() -> None:
    """The hash-chained trails per municipality: the access log (who looked at whose personal data)
    and the correspondence trail."""


@audit.command("verify")
@click.argument("tenant_slug", metavar="TENANT")
def audit_verify(tenant_slug: str) -> None:
    """Check TENANT's access log chain and its correspondence chain; prints the entries checked and the
    access log's head hash (last line).

    Exit status 1 names the first entry that was changed, removed or inserted after it was written.
    """
    from engine.services import access_log, tenants
    from engine.services.errors import ServiceError
    from thongthin.cli_saraban import check_chain
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env())
    try:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        verified = platform.db(access_log.verify(tenant))
        letters = check_chain(platform, tenant)
    except access_log.ChainBroken as broken:
        click.echo(f"{tenant_slug}: {broken}", err=True)
        sys.exit(1)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    finally:
        platform.runtime.close()
    click.echo(f"{tenant_slug}: {verified.entries} entries, chain intact", err=True)
    if not letters.intact:
        click.echo(
            f"{tenant_slug}: the correspondence chain breaks at entry {letters.broken_at}: {letters.reason}",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{tenant_slug}: {letters.entries} correspondence entries, chain intact", err=True)
    click.echo(verified.head)


from thongthin.cli_catalog import catalog  # noqa: E402 (a group of its own module)

main.add_command(catalog)


def run() -> None:
    """Console entry point: the engine's errors end in a one-line message, never a traceback."""
    try:
        main(standalone_mode=True)
    except (UnknownService, ThongthinError) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)


from thongthin.cli_api_keys import api_keys_group  # noqa: E402 (groups of their own modules)
from thongthin.cli_documents import document, pki  # noqa: E402
from thongthin.cli_fees import billing, payments_group, qr  # noqa: E402
from thongthin.cli_messages import messages_group  # noqa: E402
from thongthin.cli_saraban import saraban_group  # noqa: E402
from thongthin.cli_serving import demo, serve, worker  # noqa: E402
from thongthin.cli_signing import signing_group  # noqa: E402
from thongthin.cli_tenants import tenant as _tenant_group  # noqa: E402
from thongthin.cli_webhooks import webhooks_group  # noqa: E402

for _command in (
    qr,
    billing,
    payments_group,
    demo,
    worker,
    serve,
    pki,
    document,
    messages_group,
    _tenant_group,
    signing_group,
    saraban_group,
    api_keys_group,
    webhooks_group,
):
    main.add_command(_command)
import thongthin.cli_backup  # noqa: E402, F401 (adds `backup` and `restore` to main)
