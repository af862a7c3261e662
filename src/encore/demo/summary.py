"""The demo's closing words on the terminal: what was built and how to sign in."""

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from encore.config import Settings
from encore.demo.build import DemoReport


def print_report(console: Console, report: DemoReport, settings: Settings) -> None:
    if report.already_built:
        console.print("[bold]The demo is here already.[/bold]")
    else:
        console.print("[bold green]The demo is ready.[/bold green]")
    console.print(
        f"  {_count(report.pieces, 'piece')} to play, each with its bitrate ladder, preview and "
        "cover art\n"
        f"  {report.catalog_tracks:,} more tracks known by their metadata only (searchable, "
        "not playable)\n"
        f"  {_count(report.listeners, 'synthetic listener')} and the demo users, with weeks "
        "of listening history"
        + (f" ({report.listens_added:,} listens added now)" if report.listens_added else "")
    )
    table = Table("email", "password", "plan", "country", title="Sign in as")
    for user in report.users:
        password = user.password or "(unknown: the account existed before this demo)"
        plan = f"{user.plan} (admin)" if user.admin else user.plan
        table.add_row(user.email, escape(password), plan, user.country)
    console.print(table)
    credentials = settings.data_dir / "demo" / "credentials.json"
    console.print(f"The passwords are kept in {escape(str(credentials))}.")
    if report.blocked_track:
        free = next((u for u in report.users if u.plan == "free"), None)
        paid = next(
            (u for u in report.users if u.plan != "free" and u.country in report.licensed_in), None
        )
        where = ", ".join(report.licensed_in)
        line = f"{escape(report.blocked_track)} is licensed only in {where}"
        if free and paid:
            line += (
                f": {free.email} ({free.country}) is refused it (451), "
                f"{paid.email} ({paid.country}) can play it"
            )
        console.print(line + ".")
    url = f"http://{settings.host}:{settings.port}"
    console.print(
        f"Serve it with [bold]make run[/bold] (or [bold]encore serve[/bold]), then open "
        f"{url}/ to listen (the API reference is at {url}/docs)"
    )


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'' if number == 1 else 's'}"
