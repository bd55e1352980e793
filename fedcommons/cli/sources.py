"""`fedcommons import source add`, `import sources`, `import run`: importing from sources
of peer production (git, and the other types of services.importing.sources)."""

from contextlib import ExitStack

import click

from ..effort import format_effort
from ..effort_rules import parse_params
from ..errors import BadInput
from ..services.importing import sources as service
from ..federation.wiki_client import MIN_INTERVAL, BlockingWikiClient
from ..services.importing.pipeline import Summary
from ..services.importing.wikis import parse_namespace_kinds
from .common import FORMAT, echo_json, node_from, progressbar
from .contributions import import_


def _location_options(command):
    """One option per type of source (--git PATH, ...), from the service's table."""
    for type_, spec in reversed(list(service.SOURCE_TYPES.items())):
        command = click.option(spec.option, _dest(type_), metavar=spec.metavar,
                               help=f"Read {spec.help}.")(command)
    return command


def _dest(type_: str) -> str:
    return "location_" + type_.replace("-", "_")


@import_.group("source")
def source_group() -> None:
    """Sources a pool imports from."""


@source_group.command("add")
@click.argument("name")
@click.option("--pool", required=True, help="The local pool the source's work goes to.")
@_location_options
@click.option("--effort-rule", "rule", metavar="RULE",
              help="sessions/1, flat/1, lines/1 or claim/1 (default: the source type's own).")
@click.option("--param", "params", multiple=True, metavar="K=V",
              help="A parameter of the effort rule, such as gap=2h; repeat for several.")
@click.option("--kind", help="The kind of every contribution. Without it: an item's own kind (such as a "
                               "CRediT role) when this node knows it, else the source type's (such as code).")
@click.option("--evidence-url", "evidence", metavar="TEMPLATE",
              help="Evidence link for each item, {sha} replaced: 'https://forge.example/garden/commit/{sha}'.")
@click.option("--bot", "bots", multiple=True, metavar="PATTERN",
              help="A name or identity pattern of bots, which never mint (replaces the defaults, "
                   "such as *[bot]*); repeat for several.")
@click.option("--merges", is_flag=True, help="Import merge commits too (skipped by default).")
@click.option("--namespace", "namespaces", multiple=True, metavar="N",
              help="A wiki: read this namespace (0 articles, 1 their talk, 10 templates...); "
                   "repeat for several (default: all of a dump, a live wiki's articles).")
@click.option("--category", metavar="TITLE", help="A live wiki: only the pages in this category (Category:Physics).")
@click.option("--page", "pages", multiple=True, metavar="TITLE", help="A live wiki: only this page; repeat for several.")
@click.option("--namespace-kind", "namespace_kinds", multiple=True, metavar="N=KIND",
              help="A wiki: the kind of a namespace's revisions, such as 10=code (defaults: articles docs, "
                   "talk facilitation, templates and modules code...); repeat for several.")
@click.pass_context
def source_add_cmd(ctx, name, pool, rule, params, kind, evidence, bots, merges, namespaces, category, pages,
                   namespace_kinds, **locations) -> None:
    """Add a source NAME that POOL imports from. Nothing is read until `import run`.

    A wiki's revisions are known by the wiki and revision id, with the diff as evidence and
    the bytes changed as metrics; IP addresses, temporary accounts, bots and identity
    reverts (and the edits they undid) never mint. Its people are wiki user ids, mapped to
    actors by a steward (`fedcommons alias suggest POOL`).
    """
    given = {type_: locations[_dest(type_)] for type_ in service.SOURCE_TYPES if locations.get(_dest(type_))}
    if len(given) != 1:
        options = " | ".join(spec.option for spec in service.SOURCE_TYPES.values())
        raise BadInput(f"give exactly one of {options}")
    ((type_, location),) = given.items()
    node = node_from(ctx)
    row = service.add_source(node, name, pool=pool, type_=type_, location=location, rule=rule,
                             parameters=parse_params(params), kind=kind, evidence=evidence,
                             bots=tuple(bots) or None, merges=merges,
                             options={"namespaces": namespaces, "category": category, "pages": pages,
                                      "namespace_kinds": parse_namespace_kinds(namespace_kinds)})
    click.echo(f"added source {row.name}: {row.type} {row.location} -> {pool} "
               f"({row.settings['rule']}, {row.settings['kind']})")


@import_.command("sources")
@FORMAT
@click.pass_context
def sources_cmd(ctx, fmt) -> None:
    """List the import sources, their settings and where their last run stopped."""
    rows = service.listing(node_from(ctx))
    if fmt == "json":
        echo_json([{"name": r.name, "pool": r.pool, "type": r.type, "location": r.location,
                    "settings": r.settings, "cursor": r.cursor} for r in rows])
        return
    if not rows:
        click.echo("no import sources (add one with `fedcommons import source add`)")
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r.settings["parameters"].items()))
        click.echo(f"{r.name}\t{r.type} {r.location}\t-> {r.pool}\t{r.settings['rule']}"
                   f"{f' ({params})' if params else ''}\t{r.settings['kind']}\t{r.cursor or 'not run yet'}")


def summary_json(name: str, s: Summary) -> dict:
    """A run's summary as `import run --format json` prints it."""
    return {"source": name, "run": s.run, "items": s.items, "recorded": s.recorded, "already": s.already,
            "waiting": s.waiting, "bots": s.bots, "anonymous": s.anonymous, "skipped": s.skipped, "minutesByRule": s.minutes,
            "validated": s.validated}


def summary_text(name: str, s: Summary, dry_run: bool, noun: str = "items") -> str:
    """One paragraph: what a run read and what became of it."""
    verb = "would record" if dry_run else "recorded"
    hours = ", ".join(f"{rule} {format_effort(m)}" for rule, m in sorted(s.minutes.items())) or "none"
    anonymous = f"{s.anonymous} by IP addresses or temporary accounts skipped, " if noun == "revisions" else ""
    skipped = "reverts" if noun == "revisions" else "merges or reverts"
    text = (f"{name}: {s.items} {noun}, {verb} {s.recorded} contributions ({s.already} already recorded), "
            f"{s.waiting} waiting for an alias, {s.bots} bots skipped, {anonymous}{s.skipped} {skipped} skipped; "
            f"hours by rule: {hours}")
    if s.validated:
        text += f"; {s.validated} validated"
    return text


@import_.command("run")
@click.argument("names", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Show what would be recorded; sign and write nothing.")
@click.option("--validate", is_flag=True, help="Validate what this run records (one signed Accept each).")
@click.option("--as", "steward", metavar="STEWARD", help="The steward who validates (with --validate).")
@click.option("--batch-size", type=click.IntRange(min=1), default=service.SOURCE_BATCH, show_default=True,
              help="Items per transaction; the server can write between batches (each holds the write "
                   "lock for about half a second at the default).")
@FORMAT
@click.pass_context
def run_cmd(ctx, names, dry_run, validate, steward, batch_size, fmt) -> None:
    """Import what is new in the named sources (all when none are named).

    Each source is read from where its last run stopped; a killed run is resumed by running
    it again. Contributions are recorded by the pool with each person as provider, pending
    until a steward validates them; items of identities with no alias wait for one
    (`fedcommons alias suggest POOL`).
    """
    if validate != bool(steward):
        raise BadInput("--validate and --as STEWARD go together")
    if validate and dry_run:
        raise BadInput("--dry-run writes nothing, so it validates nothing")
    node = node_from(ctx)
    rows = service.source_rows(node, list(names))
    if validate:
        service.check_steward(node, sorted({r.pool for r in rows}), steward)
    results = []
    for row in rows:
        with ExitStack() as clients:
            def fetch_for(url: str) -> BlockingWikiClient:
                client = BlockingWikiClient(
                    url, node_url=node.url, allow_private=node.config.allow_private_addresses,
                    min_interval=float(node.config.extra.get("wiki_request_interval", MIN_INTERVAL)))
                clients.callback(client.close)
                return client

            source = service.open_source(row, fetch_for)
            with progressbar(service.estimate(source, row), f"importing {row.name}") as bar:
                summary = service.import_source(node, row, source, dry_run=dry_run, batch=batch_size,
                                                progress=bar.update)
        if validate:
            with progressbar(summary.recorded, f"validating {row.name}") as bar:
                summary.validated = service.validate_run(node, summary.run, steward, batch=batch_size,
                                                         progress=bar.update)
        results.append((row, summary))
    if fmt == "json":
        echo_json([summary_json(row.name, s) for row, s in results])
        return
    for row, s in results:
        click.echo(summary_text(row.name, s, dry_run, service.SOURCE_TYPES[row.type].noun))
