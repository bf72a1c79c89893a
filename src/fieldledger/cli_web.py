"""`fieldledger serve` (the web UI and sync) and `fieldledger web-user` (its accounts).

Thin: the server is `fieldledger.web.app.web_app`, accounts are `fieldledger.web.accounts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fieldledger.cli_net import DEFAULT_PORT, QUIET

web_user_app = typer.Typer(
    help="Web accounts: the people who log in to `fieldledger serve` from a phone.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

PasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from this file's first line instead of asking (scripts).",
        show_default=False,
    ),
]


def _password(path: Path | None) -> str:
    from fieldledger.cli import _read_secret_file

    if path is not None:
        return _read_secret_file(path)
    return typer.prompt("Password for the account", hide_input=True, confirmation_prompt=True)


@web_user_app.command("add")
def web_user_add(
    name: Annotated[str, typer.Argument(help="Account name: letters a-z, digits, . - _")],
    role: Annotated[str, typer.Option("--role", help="admin, coordinator, field, ...")],
    lang: Annotated[str, typer.Option("--lang", help="Language of the pages: en or my.")] = "en",
    password_file: PasswordFile = None,
) -> None:
    """Add a web account bound to ROLE. Its password is checked for strength."""
    from fieldledger.cli import _console, _open
    from fieldledger.web import accounts

    with _open() as ws:
        user = accounts.add_user(ws, name, role, _password(password_file), lang=lang)
    _console().print(f"added web account {user.name} ({user.role})")


@web_user_app.command("list")
def web_user_list() -> None:
    """Every web account, its role and language."""
    import datetime as dt

    from fieldledger.cli import _console, _open
    from fieldledger.web import accounts

    with _open() as ws:
        users = accounts.list_users(ws)
    console = _console()
    if not users:
        console.print("no web accounts: add one with `fieldledger web-user add NAME --role ROLE`")
    for u in users:
        made = dt.datetime.fromtimestamp(u.created, dt.UTC).date().isoformat()
        state = "removed" if u.disabled else "active"
        console.print(f"{u.name:<24} {u.role:<12} {u.lang:<3} {state:<8} since {made}")


@web_user_app.command("passwd")
def web_user_passwd(
    name: Annotated[str, typer.Argument(help="The account.")], password_file: PasswordFile = None
) -> None:
    """Set a new password for an account (its owner forgot it, or it was seen)."""
    from fieldledger.cli import _console, _open
    from fieldledger.web import accounts

    with _open() as ws:
        accounts.set_password(ws, name, _password(password_file))
    _console().print(f"new password set for {name}")


@web_user_app.command("role")
def web_user_role(
    name: Annotated[str, typer.Argument(help="The account.")],
    role: Annotated[str, typer.Argument(help="Its new role.")],
) -> None:
    """Change an account's role (it takes effect at its next login)."""
    from fieldledger.cli import _console, _open
    from fieldledger.web import accounts

    with _open() as ws:
        accounts.set_role(ws, name, role)
    _console().print(f"{name} is now {role}")


@web_user_app.command("remove")
def web_user_remove(name: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """Remove an account for good: it can no longer log in."""
    from fieldledger.cli import _console, _open
    from fieldledger.web import accounts

    with _open() as ws:
        accounts.remove_user(ws, name)
    _console().print(f"removed web account {name}")


def serve_command(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Anything but this computer (127.0.0.1) serves HTTPS "
            "only, e.g. 0.0.0.0 for phones on the laptop's hotspot.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = DEFAULT_PORT,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before serving beyond this computer.")
    ] = False,
    idle_minutes: Annotated[
        float,
        typer.Option("--idle-minutes", min=1, help="Log a phone out after this long idle."),
    ] = 10,
    odk_port: Annotated[
        int | None,
        typer.Option(
            "--odk-port",
            help="Also serve the ODK Collect routes (/odk/TOKEN/...) on this port over plain "
            "HTTP, which Collect accepts (it refuses our own certificate); submissions are "
            "end-to-end encrypted. Nothing else is served there.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the web UI (and sync for the workspace's other devices) until Ctrl-C.

    Unlock here; people log in with their web accounts. Beyond this computer the server
    speaks HTTPS only, with the workspace's own certificate: compare its fingerprint on
    the phone with the one printed here."""
    import uvicorn

    from fieldledger.cli import _console, _open, _workspace_path
    from fieldledger.sync.http import is_loopback
    from fieldledger.vault.panic import panic
    from fieldledger.web import accounts, tls
    from fieldledger.web.app import web_app
    from fieldledger.web.sessions import Sessions

    local = is_loopback(host)
    console = _console(stderr=True)
    if not local and not yes:
        typer.confirm(
            f"Serve on {host}, so that other devices on the network reach the login page?",
            abort=True,
        )
    path = _workspace_path()
    ws = _open()
    server: uvicorn.Server | None = None

    def on_panic() -> None:  # called under the workspace lock, from a request
        ws.close()
        panic(path)
        if server is not None:
            server.should_exit = True

    try:
        app = web_app(
            lambda: ws,
            https=not local,
            sessions=Sessions(idle_s=idle_minutes * 60),
            on_panic=on_panic,
            odk_port=odk_port,
        )
        where = f"[{host}]" if ":" in host else host
        if local:
            config = uvicorn.Config(app, host=host, port=port, **QUIET)
            config.load()
            console.print(f"serving at http://{where}:{port}/ (stop with Ctrl-C)", soft_wrap=True)
        else:
            addresses = [host] if host not in ("0.0.0.0", "::") else tls.local_addresses()
            cert = tls.certificate(ws, addresses)
            with tls.key_files(cert) as (certfile, keyfile, password):
                config = uvicorn.Config(
                    app,
                    host=host,
                    port=port,
                    ssl_certfile=certfile,
                    ssl_keyfile=keyfile,
                    ssl_keyfile_password=password,
                    **QUIET,
                )
                config.load()  # the key is read now; its file is removed when this block ends
            _show_address(console, addresses or ["127.0.0.1"], port, cert.fingerprint)
        if not accounts.list_users(ws):
            console.print(
                "no web accounts yet: add one with `fieldledger web-user add NAME --role ROLE`",
                soft_wrap=True,
            )
        server = uvicorn.Server(config)
        if odk_port is None:
            server.run()
        else:
            _serve_with_odk(server, app, host, odk_port, console)
    finally:
        ws.close()  # nothing when panic already closed it


def _show_address(console, addresses: list[str], port: int, fingerprint: str) -> None:
    import io

    import segno

    url = f"https://{addresses[0]}:{port}/"
    console.print(f"serving at {url} (HTTPS only; stop with Ctrl-C)", soft_wrap=True)
    for other in addresses[1:]:
        console.print(f"   also at https://{other}:{port}/", soft_wrap=True)
    console.print(
        "On the phone, scan the code, then check that the browser's certificate shows this "
        f"SHA-256 fingerprint before you log in:\n  {fingerprint}",
        soft_wrap=True,
    )
    # The fingerprint rides in the fragment: the phone shows it, the server never sees it.
    qr = segno.make(f"{url}#sha256={fingerprint.replace(':', '')}", error="m")
    out = io.StringIO()
    qr.terminal(out=out, compact=True)
    console.print(out.getvalue(), highlight=False, markup=False)


def _serve_with_odk(server, app, host: str, port: int, console) -> None:
    """Run the web server and a plain-HTTP server of the OpenRosa routes in one event loop;
    Ctrl-C (or the panic button) stops both."""
    import asyncio

    import uvicorn

    from fieldledger.odk.openrosa import odk_app

    config = uvicorn.Config(odk_app(app.state.web), host=host, port=port, **QUIET)
    config.load()
    odk = uvicorn.Server(config)

    def stop(*_args: object) -> None:
        server.should_exit = odk.should_exit = True

    server.handle_exit = odk.handle_exit = stop  # each installs its own signal handler
    where = f"[{host}]" if ":" in host else host
    console.print(
        f"phones (ODK Collect): http://{where}:{port}/odk/... (plain HTTP, forms and "
        "encrypted submissions only); set a phone up with `fieldledger phone setup ACCOUNT`",
        soft_wrap=True,
    )

    async def both() -> None:
        task = asyncio.create_task(odk.serve())
        try:
            await server.serve()
        finally:
            odk.should_exit = True
            await task

    asyncio.run(both())
