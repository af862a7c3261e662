"""The `encore` command line."""

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from encore import log_hygiene
from encore.accounts.model import Plan
from encore.backup.check import CheckReport
from encore.bootstrap import Services, bootstrap, secrets_of
from encore.catalog.transcoding import QueueUnavailable
from encore.config import Settings, load_settings
from encore.errors import EncoreError

app = typer.Typer(help="Encore: a self-hostable music streaming service.", no_args_is_help=True)
users_app = typer.Typer(help="Manage listener accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
edge_app = typer.Typer(help="The audio edge: signed URLs for nginx or a CDN.", no_args_is_help=True)
app.add_typer(edge_app, name="edge")
search_app = typer.Typer(help="The search index.", no_args_is_help=True)
app.add_typer(search_app, name="search")
recommend_app = typer.Typer(help="Personalization's batch runs.", no_args_is_help=True)
app.add_typer(recommend_app, name="recommend")
backup_app = typer.Typer(
    help="Back up a running instance into one file (`encore backup --data DIR --to FILE`), "
    "or check a restored one (`encore backup check`).",
    invoke_without_command=True,
)
app.add_typer(backup_app, name="backup")
worker_app = typer.Typer(help="Workers fed by a queue.", no_args_is_help=True)
app.add_typer(worker_app, name="worker")

err = Console(stderr=True)
out = Console()
T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data",
        envvar="ENCORE_DATA",
        help="Data directory holding this instance's whole state (default ./var).",
        file_okay=False,
    ),
]


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except (ValidationError, FileNotFoundError, ValueError) as error:
        err.print(f"[red]Invalid settings:[/red] {error}")
        raise typer.Exit(2) from None


@contextmanager
def _services(data: Path | None) -> Iterator[Services]:
    services = bootstrap(_settings(data_dir=data))
    try:
        yield services
    finally:
        services.close()


def _domain(call: Callable[[], T]) -> T:
    try:
        return call()
    except EncoreError as error:
        err.print(f"[red]{error.title}:[/red] {error.detail}")
        raise typer.Exit(1) from None


@app.command()
def serve(
    data: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on.")] = None,
) -> None:
    """Start the Encore server."""
    import uvicorn

    from encore.api.app import create_app

    settings = _settings(data_dir=data, host=host, port=port)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    log_hygiene.install(secrets_of(settings))
    services = bootstrap(settings)
    out.print(f"Encore on http://{settings.host}:{settings.port}  (data: {settings.data_dir})")
    uvicorn.run(
        create_app(services, freeze_heap=True),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=settings.access_log,
        log_level="info",
    )


@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Folders or files of music to import, and catalog feeds (*.csv).",
            show_default=False,
        ),
    ],
    data: DataDir = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, max=256, help="Files encoded at once (default: cores).")
    ] = None,
    scan_only: Annotated[
        bool,
        typer.Option(
            "--scan-only",
            help="Catalog the files now (browsable and searchable at once) and leave the "
            "encoding to a later import of the same paths.",
        ),
    ] = False,
    feed_namespace: Annotated[
        str | None,
        typer.Option(
            help="Namespace of the feeds' own track and album ids, which make a re-import "
            "update in place (default: feed:<file name without .csv>).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import audio files (tags into the catalog, sound into the bitrate ladder) and catalog
    feeds (*.csv: tracks known by their metadata, streamable once their audio arrives)."""
    import os

    from encore.bootstrap import make_importer
    from encore.catalog.feed import FeedImporter
    from encore.catalog.import_summary import Summary
    from encore.import_progress import FeedProgressBar, ImportProgressBar, print_summary

    feeds = [path for path in paths if path.suffix.lower() == ".csv"]
    audio = [path for path in paths if path.suffix.lower() != ".csv"]
    summary = Summary()
    with _services(data) as services:
        try:
            for feed in feeds:
                feed_importer = FeedImporter(uow=services.uow, on_change=services.catalog.changed)
                with FeedProgressBar(out, feed.name) as feed_progress:
                    done = feed_importer.run(feed, namespace=feed_namespace, progress=feed_progress)
                summary.outcomes += done.outcomes
                summary.notes += done.notes
            if audio:
                importer = make_importer(services)
                with ImportProgressBar(out) as progress:
                    done = importer.run(
                        audio,
                        jobs=jobs or os.cpu_count() or 1,
                        progress=progress,
                        transcode=not scan_only,
                    )
                summary.outcomes += done.outcomes
                summary.notes += done.notes
        except KeyboardInterrupt:
            err.print(
                "[yellow]Interrupted.[/yellow] Every file (and every batch of feed rows) finished "
                "so far is in the catalog, and queued transcodes stay queued; run the same import "
                "again to go on from there."
            )
            raise typer.Exit(130) from None
        except QueueUnavailable as error:
            err.print(
                f"[red]{error.title}:[/red] {error.detail}. Files written before it failed are "
                "cataloged; run the same import again once the queue is back."
            )
            raise typer.Exit(1) from None
    print_summary(out, summary)
    if not summary.succeeded:
        err.print("[red]Nothing could be imported.[/red]")
        raise typer.Exit(1)


@app.command()
def demo(
    data: DataDir = None,
    pieces: Annotated[
        int, typer.Option(min=0, max=36, help="Short pieces of music to compose and import.")
    ] = 36,
    listeners: Annotated[
        int, typer.Option(min=0, max=10_000, help="Synthetic listeners with a history.")
    ] = 200,
    catalog_size: Annotated[
        int, typer.Option(min=0, max=100_000, help="Tracks in the metadata-only catalog.")
    ] = 3_000,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks of listening history.")] = 8,
    jobs: Annotated[
        int | None, typer.Option(min=1, max=256, help="Pieces made at once (default: cores).")
    ] = None,
    first_start: Annotated[
        bool,
        typer.Option(
            "--first-start",
            help="Only if this instance has no accounts yet (or holds an unfinished demo): "
            "what `make run` does before serving.",
        ),
    ] = False,
) -> None:
    """Build a ready-to-play demo: composed music with cover art, a larger catalog, demo users
    and weeks of listening history. Running it again adds only what is missing."""
    from encore.demo.build import Demo, DemoFailed, DemoOptions
    from encore.demo.summary import print_report

    options = DemoOptions(
        pieces=pieces, listeners=listeners, catalog_size=catalog_size, weeks=weeks
    )
    if jobs is not None:
        options = replace(options, jobs=jobs)
    with _services(data) as services:
        builder = Demo(services, out)
        built = builder.built_with()
        if first_start and built is not None:
            options = built  # a first start only reminds of the demo that is there
        elif first_start and not builder.started() and services.accounts.list_accounts(limit=1):
            out.print("This instance has accounts already; not adding the demo to it.")
            return
        try:
            report = builder.build(options)
        except DemoFailed as error:
            err.print(f"[red]The demo could not be built:[/red] {error}")
            err.print("What was finished is kept; run the same command again to go on.")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print(
                "[yellow]Interrupted.[/yellow] What was finished is kept; run the same command "
                "again to go on from there."
            )
            raise typer.Exit(130) from None
        print_report(out, report, services.settings)


@app.command()
def migrate(data: DataDir = None) -> None:
    """Bring the database schema up to date."""
    from encore.adapters.sql import migrate as migrations

    with _services(data) as services:
        migrations.upgrade(services.engine)
        out.print(f"Schema at revision {migrations.current_revision(services.engine)}")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The listener's email address.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country code.")] = "US",
    plan: Annotated[Plan, typer.Option(case_sensitive=False)] = Plan.FREE,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make this an operator.")] = False,
    data: DataDir = None,
) -> None:
    """Create an account (sign-up need not be open)."""
    with _services(data) as services:
        account = _domain(
            lambda: services.accounts.add_user(
                email=email,
                password=password,
                country=country,
                display_name=name,
                plan=plan,
                is_admin=admin,
            )
        )
    out.print(f"Created {account.user.email} ({account.user.plan.value}) with id {account.id}")


@users_app.command("list")
def users_list(
    data: DataDir = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List accounts."""
    with _services(data) as services:
        accounts = services.accounts.list_accounts(limit=limit, offset=offset)
    table = Table("id", "email", "name", "country", "plan", "enjoys", "admin", "created")
    for account in accounts:
        user = account.user
        table.add_row(
            user.id,
            user.email,
            user.display_name,
            user.country,
            user.plan.value,
            account.effective_plan.value,
            "yes" if user.is_admin else "",
            user.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)


@users_app.command("export")
def users_export(
    email: Annotated[str, typer.Argument(help="The listener's email address.")],
    to: Annotated[
        Path, typer.Option("--to", help="The zip file to write.", dir_okay=False, writable=True)
    ],
    data: DataDir = None,
) -> None:
    """Write everything Encore holds about a listener to a zip of JSON and CSV files (what
    GET /api/v1/me/export gives them)."""
    import os

    with _services(data) as services:
        user_id = _domain(lambda: services.account_data.user_id_of(email))
        chunks = _domain(lambda: services.account_data.export(user_id))
        partial = to.with_name(to.name + ".partial")
        written = 0
        try:
            with partial.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
                    written += len(chunk)
            os.replace(partial, to)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    out.print(f"Exported {email} to {to} ({written / 1e6:.1f} MB)")


@users_app.command("delete")
def users_delete(
    email: Annotated[str, typer.Argument(help="The listener's email address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    data: DataDir = None,
) -> None:
    """Delete a listener's account and personal data (as DELETE /api/v1/me does)."""
    from encore.account_data.model import PlaylistFate

    with _services(data) as services:
        user_id = _domain(lambda: services.account_data.user_id_of(email))
        if not yes and not typer.confirm(
            f"Delete {email} ({user_id}) and all their personal data? This cannot be undone."
        ):
            err.print("Nothing deleted.")
            raise typer.Exit(1)
        erasure = _domain(lambda: services.account_data.erase(user_id))
    kept = {fate: len(erasure.playlists_with(fate)) for fate in PlaylistFate}
    out.print(
        f"Deleted {email} ({user_id}): {erasure.rows.get('listening_history', 0)} plays, "
        f"{kept[PlaylistFate.DELETED]} playlists deleted, "
        f"{kept[PlaylistFate.TRANSFERRED]} passed to a collaborator, "
        f"{kept[PlaylistFate.KEPT_OWNERLESS]} kept for their followers"
    )


@users_app.command("forget")
def users_forget(data: DataDir = None) -> None:
    """Finish removing deleted listeners from the lake and the event log (a deletion does it at
    once; this finishes one that was interrupted)."""
    with _services(data) as services:
        done = _domain(services.account_data.forget_pending)
    out.print(
        f"{done.users} deleted listeners forgotten: {done.removed} events removed from "
        f"{done.rewritten} files"
    )


@search_app.command("reindex")
def search_reindex(data: DataDir = None) -> None:
    """Rebuild the search index of the catalog from the database (playlists are kept)."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with _services(data) as services, Progress(*columns, console=err) as bar:
        task = bar.add_task("documents")
        started = time.perf_counter()
        written = _domain(
            lambda: services.search.reindex(
                started=lambda total: bar.update(task, total=total),
                advanced=lambda n: bar.advance(task, n),
            )
        )
    out.print(f"Indexed {written} documents in {time.perf_counter() - started:.1f} s")


@recommend_app.command("run")
def recommend_run(
    runner: Annotated[
        str, typer.Option(help="Where the per-user step runs: local (process pool) or spark.")
    ] = "local",
    kind: Annotated[
        list[str] | None,
        typer.Option(help="discover_weekly, daily_mix or release_radar (repeatable; default all)."),
    ] = None,
    due_only: Annotated[
        bool, typer.Option(help="Only listeners whose Monday (or day) has come.")
    ] = False,
    data: DataDir = None,
) -> None:
    """Train a model on the listening history and make every listener's personalized
    playlists; the previous ones stay for anyone the run does not reach."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from encore.bootstrap import batch_runner
    from encore.recommend.domain import PlaylistKind

    if runner not in ("local", "spark"):
        raise typer.BadParameter("runner is local or spark", param_hint="--runner")
    names = [k.value for k in PlaylistKind]
    bad = [k for k in kind or [] if k not in names]
    if bad:
        raise typer.BadParameter(f"unknown kind {bad[0]!r}; one of {', '.join(names)}")
    kinds = [PlaylistKind(k) for k in kind] if kind else list(PlaylistKind)
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with _services(data) as services, Progress(*columns, console=err) as bar:
        task = bar.add_task("listeners")
        report = _domain(
            lambda: services.recommend_batch.run(
                batch_runner(services.settings, runner),
                kinds,
                lambda done, total: bar.update(task, completed=done, total=total),
                due_only=due_only,
            )
        )
    out.print(
        f"{report.playlists} playlists for {report.users} listeners in {report.seconds:.1f} s "
        f"({report.runner} runner, model {report.model_version or 'none: popularity'})"
    )


@edge_app.command("keys")
def edge_keys(data: DataDir = None) -> None:
    """Print the audio URL signing keys, comma-separated, first (signing) key first: the value
    of ENCORE_STREAM_KEYS for an nginx edge. They are secrets."""
    from encore.bootstrap import stream_signing_keys

    # Plain output: a console would wrap the line and break the keys.
    typer.echo(",".join(stream_signing_keys(_settings(data_dir=data))))


@edge_app.command("warm")
def edge_warm(
    region: Annotated[str, typer.Option(help="The region to warm: us, eu or asia.")],
    origin: Annotated[
        list[str] | None,
        typer.Option(help="Edge origin to warm (repeatable; default: the region's cdn_origins)."),
    ] = None,
    top: Annotated[int, typer.Option(min=1, max=100_000, help="Most played tracks.")] = 200,
    days: Annotated[int, typer.Option(min=1, max=365, help="Over this many days.")] = 7,
    playlists: Annotated[int, typer.Option(min=0, max=10_000, help="Most followed.")] = 20,
    per_playlist: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    data: DataDir = None,
) -> None:
    """Fetch what a region is about to play (its most played tracks of the week and the heads
    of the most followed playlists, at normal, high and very high) through its edge origins."""
    from encore.bootstrap import make_precache

    with _services(data) as services:
        precache = make_precache(services)
        plan = _domain(
            lambda: precache.plan(
                region, top_tracks=top, days=days, playlists=playlists, per_playlist=per_playlist
            )
        )
        out.print(f"{len(plan.track_ids)} tracks, {len(plan.keys)} files to warm in {region}")
        report = _domain(lambda: precache.warm(plan, origins=origin or ()))
    for failure in report.failed[:20]:
        err.print(f"[yellow]{failure.url.split('?')[0]}[/yellow]: {failure.detail}")
    out.print(
        f"Warmed {len(report.results) - len(report.failed)} of {len(report.results)} fetches "
        f"({report.bytes / 1e6:.1f} MB) through {', '.join(report.origins)}"
    )
    if report.results and len(report.failed) == len(report.results):
        raise typer.Exit(1)


@worker_app.command("transcode")
def worker_transcode(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=256, help="Transcodes at once in this process (default: cores)."),
    ] = None,
    data: DataDir = None,
) -> None:
    """Take transcode jobs from the queue and make their renditions until interrupted (SIGTERM
    or Ctrl-C: the jobs running finish first). Runs anywhere that reaches the queue, the media
    store and the database; start as many as the fleet needs."""
    import os
    import signal

    from encore.bootstrap import make_transcode_worker
    from encore.catalog.transcode_worker import WorkerPool

    log_hygiene.install(secrets_of(_settings(data_dir=data)))
    with _services(data) as services:
        worker = _domain(lambda: make_transcode_worker(services))
        count = concurrency or os.cpu_count() or 1
        with WorkerPool(worker, concurrency=count) as pool:
            signal.signal(signal.SIGTERM, lambda *_: pool.stop())
            out.print(f"Transcoding with {count} workers ({services.settings.transcode_queue})")
            try:
                pool.wait()
            except KeyboardInterrupt:
                out.print("Stopping after the jobs running now…")


@app.command()
def consume(
    consumer: Annotated[
        list[str] | None,
        typer.Option(help="Run only this consumer (repeatable): history, lake. Default: all."),
    ] = None,
    data: DataDir = None,
) -> None:
    """Run the event log's consumers (history, play counts, popularity, the lake) until
    interrupted: for `run_consumers = false`, where `encore serve` leaves them out. Consumers
    in processes of their own (`--consumer history`, `--consumer lake`) use a core each."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log_hygiene.install(secrets_of(_settings(data_dir=data)))
    with _services(data) as services:
        known = {c.name for c in services.pipeline.consumers}
        unknown = set(consumer or ()) - known
        if unknown:
            err.print(f"Unknown consumers: {', '.join(sorted(unknown))} (known: {sorted(known)})")
            raise typer.Exit(2)
        if consumer:
            services.pipeline.consumers = [
                c for c in services.pipeline.consumers if c.name in consumer
            ]
        services.pipeline.start()
        out.print(f"Consuming: {', '.join(c.name for c in services.pipeline.consumers)}")
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass


@app.command()
def wrapped(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="The year to sum up.")],
    data: DataDir = None,
) -> None:
    """Compute every listener's Wrapped for a year from the lake, and store it for the API."""
    with _services(data) as services:
        started = time.monotonic()
        services.pipeline.catch_up()  # the lake holds everything logged so far
        services.account_data.forget_pending()  # a deletion interrupted is finished first
        count = _domain(lambda: services.wrapped.compute(year=year))
    out.print(f"Wrapped {year}: {count} listeners in {time.monotonic() - started:.1f} s")


@backup_app.callback()
def backup(
    context: typer.Context,
    data: DataDir = None,
    to: Annotated[
        Path | None, typer.Option("--to", help="The backup file to write.", dir_okay=False)
    ] = None,
    with_media: Annotated[
        bool, typer.Option("--with-media", help="Copy the media files into the backup too.")
    ] = False,
) -> None:
    """A consistent snapshot of the instance, taken while it runs: database, event log and
    consumer offsets, lake, search index, models, keys; media listed with their checksums (or
    copied, with --with-media). The file appears only once complete."""
    from encore import __version__
    from encore.adapters.backup.take import take_backup

    if context.invoked_subcommand is not None:
        return
    if to is None:
        raise typer.BadParameter("give the backup file to write", param_hint="--to")
    settings = _settings(data_dir=data)
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        err.print(
            "[red]This instance keeps its data in PostgreSQL:[/red] back it up with pg_dump or "
            "pg_basebackup (docs/operations/backup.md), and check a restore with "
            "`encore backup check`."
        )
        raise typer.Exit(2)
    started = time.monotonic()
    manifest = _domain(
        lambda: take_backup(
            settings.data_dir, to, with_media=with_media, encore_version=__version__
        )
    )
    out.print(
        f"Backed up {settings.data_dir} to {to} in {time.monotonic() - started:.1f} s: "
        f"{len(manifest.entries)} files, {sum(manifest.row_counts.values())} rows, "
        f"{manifest.event_count or 0} events, {len(manifest.media)} media files "
        f"({'included' if manifest.media_included else 'by reference'})"
    )


@backup_app.command("check")
def backup_check(
    data: DataDir = None,
    against: Annotated[
        Path | None,
        typer.Option(help="The backup the instance was restored from: counts must match it."),
    ] = None,
    sample: Annotated[int, typer.Option(min=0, help="Media files to read and checksum.")] = 20,
) -> None:
    """Verify a restored instance (embedded, or PostgreSQL and S3 as configured): rows per
    table, the schema revision, and a sample of media checksums."""
    from encore.adapters.backup.archive import verify
    from encore.adapters.sql import migrate as migrations
    from encore.adapters.sql.engine import make_engine
    from encore.adapters.sql.row_counts import row_counts, sample_renditions, schema_revision
    from encore.backup.check import check
    from encore.bootstrap import media_store

    settings = _settings(data_dir=data)
    if settings.database_url is None and not (settings.data_dir / "encore.db").is_file():
        err.print(f"[red]{settings.data_dir} holds no Encore database.[/red]")
        raise typer.Exit(1)
    manifest = _domain(lambda: verify(against)) if against else None
    engine = make_engine(settings.sqlalchemy_url)
    try:
        if manifest is not None:
            picked = random.sample(list(manifest.media), min(sample, len(manifest.media)))
        else:
            picked = sample_renditions(engine, sample)
        report = check(
            row_counts=row_counts(engine),
            schema_revision=schema_revision(engine),
            code_revision=migrations.HEAD,
            media=media_store(settings),
            sample=picked,
            manifest=manifest,
        )
    finally:
        engine.dispose()
    print_check(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="The backup file.", dir_okay=False)],
    data: DataDir = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace what a non-empty data directory holds.")
    ] = False,
) -> None:
    """Restore a backup into a data directory (stop the server first). The file is verified
    whole before anything is written; a non-empty directory is replaced only with --force,
    and then all at once."""
    from encore.adapters.backup.restore import restore as restore_backup

    settings = _settings(data_dir=data)
    report = _domain(lambda: restore_backup(file, settings.data_dir, force=force))
    manifest = report.manifest
    out.print(
        f"Restored {file} (taken {manifest.created_at:%Y-%m-%d %H:%M:%S} UTC by Encore "
        f"{manifest.encore_version}) into {settings.data_dir}"
    )
    if report.migrated_from:
        out.print(f"Migrated the schema from {report.migrated_from}")
    if report.media_missing:
        err.print(
            f"[yellow]{report.media_missing} of {len(manifest.media)} media files the backup "
            f"lists are not in {settings.data_dir / 'media'}:[/yellow] the backup holds them by "
            "reference; copy them back from your media backup, then run `encore backup check "
            f"--against {file}`."
        )


def print_check(report: CheckReport) -> None:
    verdict = "[green]ok[/green]" if report.schema_ok else "[red]differs[/red]"
    out.print(f"Schema revision {report.schema_revision} (code {report.code_revision}): {verdict}")
    table = Table("table", "rows", "expected")
    wrong = {m.table: m for m in report.count_mismatches}
    for name, count in report.row_counts.items():
        expected = wrong[name].expected if name in wrong else None
        table.add_row(name, str(count), "" if expected is None else f"[red]{expected}[/red]")
    for name, mismatch in wrong.items():
        if name not in report.row_counts:
            table.add_row(name, "[red]missing[/red]", str(mismatch.expected))
    out.print(table)
    for problem in report.media_problems:
        err.print(f"[red]{problem.key}[/red]: {problem.problem}")
    failed = len(report.media_problems)
    out.print(
        f"Media: {report.media_checked - failed} of {report.media_checked} sampled files match"
    )
    out.print("Check passed" if report.ok else "[red]Check failed[/red]")


def main() -> None:
    app(prog_name="encore")


if __name__ == "__main__":
    main()
