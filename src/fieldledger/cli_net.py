"""`fieldledger serve`, `sync http`, `sync relay`, `relay serve`: sync over a network.

Thin like the rest of the CLI: the library lives in `fieldledger.sync.server`,
`fieldledger.sync.http` and `fieldledger.sync.relay`. Every byte these commands send is a
sealed bundle; see docs/sync.md for what an observer of the link or the relay can see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

relay_app = typer.Typer(
    help="A relay that stores and forwards sealed bundles it cannot read.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

DEFAULT_PORT = 8765
RELAY_PORT = 8766
# uvicorn without its access log (it would keep client addresses) and without headers that
# name the software.
QUIET = {
    "access_log": False,
    "log_level": "warning",
    "server_header": False,
    "date_header": False,
    "lifespan": "off",
}

Url = Annotated[str, typer.Argument(metavar="URL", help="The other end, e.g. http://10.0.0.2:8765")]
Timeout = Annotated[
    float, typer.Option("--timeout", help="Seconds to wait for the other end before giving up.")
]


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


class _Bar:
    """A transient progress bar on stderr that shows what the sync is doing."""

    def __enter__(self) -> _Bar:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        from fieldledger.cli import _console

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            transient=True,
            console=_console(stderr=True),
        )
        self.progress.__enter__()
        self.task = self.progress.add_task("connecting", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def update(self, what: str, done: int, total: int | None) -> None:
        self.progress.update(self.task, description=what, completed=done, total=total)


def _warn_if_plain(url: str, what: str) -> None:
    from urllib.parse import urlsplit

    from fieldledger.cli import _console
    from fieldledger.sync.http import is_loopback

    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        _console(stderr=True).print(
            f"note: {url} is not HTTPS. The bundles are sealed, but anyone on the way sees "
            f"their sizes{what}.",
            soft_wrap=True,
        )


def sync_http_command(url: Url, timeout: Timeout = 120.0) -> None:
    """Sync with a device running `fieldledger serve` at URL: send what it lacks, take in
    what this device lacks, in at most two round trips. If the link drops, run it again:
    nothing is lost or taken in twice."""
    from fieldledger.cli import _console, _open
    from fieldledger.sync.http import sync_http

    _warn_if_plain(url, " and when you sync")
    with _open() as ws, _Bar() as bar:
        result = sync_http(ws, url, timeout=timeout, progress=bar.update)
    held = f" ({result.skipped} already here)" if result.skipped else ""
    trips = "1 round trip" if result.round_trips == 1 else f"{result.round_trips} round trips"
    retried = f", {result.retries} dropped connection(s) retried" if result.retries else ""
    _console().print(
        f"synced with {result.server}: sent {result.sent} events, took in {result.received} "
        f"new{held}; {trips}, {_size(result.bytes_up)} up, {_size(result.bytes_down)} down"
        f"{retried}",
        soft_wrap=True,
    )


def sync_relay_command(url: Url, timeout: Timeout = 120.0) -> None:
    """Leave this device's bundle at the relay at URL and take in what the workspace's
    other devices left there. Devices that never meet converge this way."""
    from fieldledger.cli import _console, _open
    from fieldledger.sync.relay import sync_relay

    _warn_if_plain(url, " and which bundles belong together")
    with _open() as ws, _Bar() as bar:
        result = sync_relay(ws, url, timeout=timeout, progress=bar.update)
    console = _console()
    console.print(
        f"left {result.pushed} events at the relay; took in {result.taken} bundles "
        f"({result.events} new events) from {result.mailboxes} mailboxes"
        + (f", {result.already} already here" if result.already else "")
        + f"; {_size(result.bytes_up)} up, {_size(result.bytes_down)} down",
        soft_wrap=True,
    )
    for name, reason in result.skipped:
        console.print(f"skipped bundle {name[:8]}: {reason}", soft_wrap=True)


@relay_app.command("serve")
def relay_serve(
    store: Annotated[
        Path, typer.Option("--store", help="Folder for the bundles (created if missing).")
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = RELAY_PORT,
    keep_days: Annotated[
        float, typer.Option("--keep-days", help="Delete bundles older than this.", min=0.01)
    ] = 60.0,
    max_mib: Annotated[
        int, typer.Option("--max-mib", help="Largest bundle accepted, in MiB.", min=1)
    ] = 256,
) -> None:
    """Store and forward sealed bundles for any workspace, by their weekly routing token.
    It holds no key, reads nothing, and logs nothing. Runs until Ctrl-C."""
    import uvicorn

    from fieldledger.cli import _console
    from fieldledger.sync.http import is_loopback
    from fieldledger.sync.relay import relay_app as make_relay

    app = make_relay(store, keep_days=keep_days, max_body=max_mib * 2**20)
    console = _console(stderr=True)
    where = f"[{host}]" if ":" in host else host
    console.print(f"relay at http://{where}:{port}/ storing in {store} (stop with Ctrl-C)")
    if not is_loopback(host):
        console.print(
            "note: put an HTTPS reverse proxy in front of it when it faces the internet, so "
            "that observers of the link do not see which bundles belong together.",
            soft_wrap=True,
        )
    uvicorn.run(app, host=host, port=port, **QUIET)
