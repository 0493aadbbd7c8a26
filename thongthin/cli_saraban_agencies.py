"""``thongthin saraban agency``: the platform-wide agency directory (สมุดรายชื่อหน่วยงาน).

Whoever runs the platform's command line acts as the national operator, the directory's only
editor (:data:`engine.services.saraban.agencies.COMMAND_LINE`). ``--json`` prints one JSON
document; a refusal ends with one line on standard error and exit 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from thongthin.cli_saraban import _emit, _options, platform_of, saraban_group


def _agency_json(agency: Any) -> dict[str, Any]:
    from api.saraban_agency_views import agency_json

    return agency_json(agency, {})


def _line(agency: Any) -> str:
    return "\t".join(
        [
            str(agency.id),
            agency.letter_code or "-",
            agency.kind,
            agency.name_th,
            "" if agency.active else "inactive",
        ]
    ).rstrip()


@saraban_group.group("agency")
def agency_group() -> None:
    """The agency directory that letters travel between: add, update, list, import, keys."""


@agency_group.command("add")
@click.option("--name", "name_th", required=True, help="ชื่อหน่วยงาน (Thai).")
@click.option("--name-en", default="", help="The English name.")
@click.option("--code", "letter_code", default="", help="รหัสหนังสือ, e.g. 'ชม 52101'.")
@click.option(
    "--kind", type=click.Choice(["external", "ecms", "email"]), help="Default: by the address given."
)
@click.option("--ministry", "ministry_id", default="", help="e-CMS ministry ID (2 digits).")
@click.option("--department", "department_id", default="", help="e-CMS department ID (5 digits).")
@click.option("--endpoint", "endpoint_url", default="", help="https:// address of its endpoint.")
@click.option("--ecms", "ecms_url", default="", help="Its e-CMS node.")
@click.option("--email", default="", help="Its saraban@ mailbox.")
@_options
def agency_add(data_dir: Path | None, as_json: bool, **values: Any) -> None:
    """Add an agency to the directory."""
    from engine.services.saraban import agencies

    if not values["kind"]:
        values.pop("kind")
    with platform_of(data_dir) as platform:
        agency = platform.db(agencies.add(agencies.COMMAND_LINE, **values))
    _emit(as_json, _agency_json(agency), _line(agency))


@agency_group.command("update")
@click.argument("code_or_id", metavar="AGENCY")
@click.option("--name", "name_th", help="ชื่อหน่วยงาน (Thai).")
@click.option("--name-en", help="The English name.")
@click.option("--ministry", "ministry_id", help="e-CMS ministry ID (2 digits).")
@click.option("--department", "department_id", help="e-CMS department ID (5 digits).")
@click.option("--endpoint", "endpoint_url", help="https:// address of its endpoint.")
@click.option("--ecms", "ecms_url", help="Its e-CMS node.")
@click.option("--email", help="Its saraban@ mailbox.")
@click.option("--active/--inactive", default=None, help="Whether it takes letters.")
@_options
def agency_update(data_dir: Path | None, as_json: bool, code_or_id: str, **values: Any) -> None:
    """Change AGENCY (letter code or id): only the options given; a municipality's own entry too
    (its e-mail, e-CMS ids and addresses)."""
    from engine.services.saraban import agencies

    changes = {name: value for name, value in values.items() if value is not None}
    with platform_of(data_dir) as platform:
        agency = platform.db(agencies.update(agencies.COMMAND_LINE, code_or_id, **changes))
    _emit(as_json, _agency_json(agency), _line(agency))


@agency_group.command("list")
@click.argument("query", default="")
@click.option("--all", "every", is_flag=True, help="Inactive agencies too.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--sync", is_flag=True, help="First bring every municipality's own entry up to date.")
@_options
def agency_list(
    data_dir: Path | None, as_json: bool, query: str, every: bool, limit: int, sync: bool
) -> None:
    """Agencies whose name contains QUERY or whose letter code starts with it (all without QUERY)."""
    from engine.services.saraban import agencies

    with platform_of(data_dir) as platform:

        async def run() -> list[Any]:
            if sync:
                await agencies.sync_tenants()
            return await agencies.directory(query, active_only=not every, limit=limit)

        rows = platform.db(run())
    _emit(as_json, {"agencies": [_agency_json(a) for a in rows]}, "\n".join(_line(a) for a in rows))


@agency_group.command("import")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@_options
def agency_import(data_dir: Path | None, as_json: bool, source: Path) -> None:
    """Import a CSV file of agencies (English or Thai headers): every row, or none."""
    from engine.services.saraban import agencies

    try:
        raw = sys.stdin.buffer.read() if str(source) == "-" else source.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{source}: {error}") from None
    with platform_of(data_dir) as platform:
        try:
            done = platform.db(agencies.import_csv(agencies.COMMAND_LINE, text, filename=str(source)))
        except agencies.AgencyImportRefused as refused:
            for line in refused.lines[:-1]:
                click.echo(line, err=True)
            raise click.ClickException(refused.lines[-1]) from None
    _emit(
        as_json,
        {"created": done.created, "updated": done.updated, "unchanged": done.unchanged},
        f"{done.created} added, {done.updated} updated, {done.unchanged} unchanged",
    )


@agency_group.group("key")
def key_group() -> None:
    """The certificates that sign an agency's messages (several during a rotation)."""


def _key_json(key: Any, valid: set[int]) -> dict[str, Any]:
    from api.saraban_agency_views import key_json

    return {**key_json(key), "valid_now": key.id in valid}


@key_group.command("add")
@click.argument("agency")
@click.argument("pem", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_options
def key_add(data_dir: Path | None, as_json: bool, agency: str, pem: Path) -> None:
    """Register the PEM certificate in file PEM for AGENCY (letter code or id)."""
    from engine.services.saraban import agencies

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            found = await agencies.find(agency)
            return await agencies.add_key(agencies.COMMAND_LINE, found, pem.read_bytes())

        key = platform.db(run())
    _emit(as_json, _key_json(key, {key.id}), f"{key.fingerprint}\t{key.not_after:%Y-%m-%d}\t{key.subject}")


@key_group.command("retire")
@click.argument("agency")
@click.argument("fingerprint")
@_options
def key_retire(data_dir: Path | None, as_json: bool, agency: str, fingerprint: str) -> None:
    """Stop trusting one of AGENCY's keys from now on."""
    from engine.services.saraban import agencies

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            return await agencies.retire_key(agencies.COMMAND_LINE, await agencies.find(agency), fingerprint)

        key = platform.db(run())
    _emit(as_json, _key_json(key, set()), f"{key.fingerprint}\tretired {key.retired_at:%Y-%m-%d %H:%M}")


@key_group.command("list")
@click.argument("agency")
@_options
def key_list(data_dir: Path | None, as_json: bool, agency: str) -> None:
    """AGENCY's keys, the newest first, with whether each is valid now."""
    from engine.services.saraban import agencies

    with platform_of(data_dir) as platform:

        async def run() -> tuple[list[Any], set[int]]:
            found = await agencies.find(agency)
            return await agencies.keys_of(found), {k.id for k in await agencies.keys_for(found)}

        keys, valid = platform.db(run())
    _emit(
        as_json,
        {"keys": [_key_json(k, valid) for k in keys]},
        "\n".join(
            f"{k.fingerprint}\t{'valid' if k.id in valid else '-'}\t{k.not_after:%Y-%m-%d}" for k in keys
        ),
    )
