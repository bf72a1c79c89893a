"""`fieldledger sync|member|join`: devices of one workspace, and moving data between them.

Thin like the rest of the CLI: the library lives in `fieldledger.sync`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from fieldledger.cli import FastKdf, _group

sync_app = _group(
    "Move records between this workspace's devices: files, HTTP, a relay.", no_args_is_help=True
)
member_app = _group("The devices of this workspace and their roles.", no_args_is_help=True)

OutFile = Annotated[
    Path | None,
    typer.Option("--out", help="Where to write the file (default: a neutral random name here)."),
]


def _neutral_name() -> Path:
    return Path(f"{secrets.token_hex(4)}.dat")


def _read(path: Path) -> bytes:
    from fieldledger.errors import WorkspaceError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise WorkspaceError(f"cannot read {path}: {exc.strerror}") from None


def _read_code(path: Path | None, prompt: str) -> str:
    from fieldledger.cli import _read_secret_file

    if path is not None:
        return _read_secret_file(path).strip()
    return typer.prompt(prompt).strip()


@sync_app.command("export")
def sync_export(
    out: OutFile = None,
    for_member: Annotated[
        str | None,
        typer.Option(
            "--for",
            metavar="MEMBER",
            help="Only what this member lacks, in its role's compartments (see member list).",
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Everything this device holds: a backup to restore from with a recovery kit.",
        ),
    ] = False,
) -> None:
    """Write a bundle: the records another device lacks, sealed for this workspace only.
    Carry it on a USB stick or send it by any messaging app; delete it once imported."""
    from fieldledger.cli import _console, _open
    from fieldledger.files import write_atomic
    from fieldledger.sync.exchange import export_bundle

    out = out or _neutral_name()
    with _open() as ws:
        if full and for_member:
            raise typer.BadParameter("--full is for everyone: leave out --for")
        exported = export_bundle(ws, for_member, full=full)
        write_atomic(out, exported.data)
    whom = f" for {exported.recipient}" if exported.recipient else ""
    _console().print(f"wrote {out}: {exported.events} events{whom}, {len(exported.data)} bytes")


@sync_app.command("import")
def sync_import(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A bundle from another device.")],
) -> None:
    """Verify a bundle and take in what is new, all or nothing. Importing it twice changes
    nothing."""
    from fieldledger.cli import _console, _open, _progress_bar
    from fieldledger.sync.exchange import import_bundle

    data = _read(file)
    with _open() as ws:
        bar, task = _progress_bar(0)
        with bar:
            result = import_bundle(
                ws, data, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    if result.already:
        _console().print("nothing new: this bundle was already imported")
        return
    _console().print(
        f"imported {result.events} new events from {result.sender}"
        + (f" ({result.skipped} already here)" if result.skipped else "")
    )


@sync_app.command("status")
def sync_status() -> None:
    """The devices this one has exchanged with, and any alarm (a forked chain, a replay)."""
    import datetime as dt

    from fieldledger.cli import _console, _open
    from fieldledger.sync import exchange, members

    console = _console()
    with _open() as ws:
        rows = ws.conn.execute("SELECT device, counter, seen FROM peers ORDER BY seen").fetchall()
        for device, counter, seen in rows:
            m = members.member(ws.conn, device)
            when = dt.datetime.fromtimestamp(seen / 1000).strftime("%Y-%m-%d %H:%M")
            name = m.name if m else device[:4].hex()
            console.print(f"{name}: last bundle #{counter} taken in {when}")
        if not rows:
            console.print("no bundle taken in yet")
        for at, kind, detail in exchange.alarms(ws.conn):
            when = dt.datetime.fromtimestamp(at / 1000).strftime("%Y-%m-%d %H:%M")
            console.print(f"ALARM {when} {kind}: {detail}")


@member_app.command("list")
def member_list() -> None:
    """Every device of the workspace: name, key, role, status."""
    from fieldledger.cli import _console, _open
    from fieldledger.sync import members

    console = _console()
    with _open() as ws:
        for m in members.all_members(ws.conn):
            me = "  (this device)" if m.device == ws.device else ""
            console.print(f"{m.device[:4].hex()}  {m.label}  {m.role}  {m.status}{me}")


@member_app.command("invite")
def member_invite(
    role: Annotated[
        str,
        typer.Option("--role", help="admin, coordinator, field, documenter, finance or viewer."),
    ],
    out: OutFile = None,
    label: Annotated[
        str, typer.Option("--label", help="A name for the device, e.g. 'Ko Aung phone'.")
    ] = "device",
    qr: Annotated[
        bool,
        typer.Option(
            "--qr",
            help="Keep the secret out of the file: show it as a QR code to scan or type.",
        ),
    ] = False,
    network: Annotated[
        bool,
        typer.Option(
            "--network",
            help="The file will travel over a network: finish with a short code told in person.",
        ),
    ] = False,
    code_out: Annotated[
        Path | None,
        typer.Option("--code-out", help="Write the secret or code to this file (scripts)."),
    ] = None,
) -> None:
    """Invite a device. By default the file holds the secret: carry it by hand only."""
    from fieldledger.cli import _console, _open
    from fieldledger.files import write_atomic
    from fieldledger.sync.invite import invite

    if qr and network:
        raise typer.BadParameter("choose --qr or --network, not both")
    mode = "network" if network else "qr" if qr else "hand"
    out = out or _neutral_name()
    with _open() as ws:
        made = invite(ws, role, label, mode)
    write_atomic(out, made.data)
    console = _console()
    shown = made.code or made.secret_text
    if shown and code_out is not None:
        write_atomic(code_out, (shown + "\n").encode())
    if mode == "hand":
        console.print(f"wrote {out}: it holds the invitation's secret, so carry it by hand")
    elif mode == "qr":
        console.print(f"wrote {out}; show this to the new device (it is not in the file):")
        if code_out is None:
            _show_qr(made.secret_text or "")
            console.print(made.secret_text)
    else:
        console.print(f"wrote {out}; send it, then tell the code in person, never in writing:")
        if code_out is None:
            console.print(made.code)
        console.print("then admit the reply with: fieldledger member admit REPLY --out WELCOME")


def _show_qr(text: str) -> None:
    import segno

    segno.make(text, error="m").terminal(compact=True)


@member_app.command("admit")
def member_admit(
    reply: Annotated[Path, typer.Argument(metavar="REPLY", help="The joining device's reply.")],
    out: OutFile = None,
) -> None:
    """Admit a device that answered a network invitation; writes its welcome file."""
    from fieldledger.cli import _console, _open
    from fieldledger.files import write_atomic
    from fieldledger.sync.invite import admit

    out = out or _neutral_name()
    data = _read(reply)
    with _open() as ws:
        welcome = admit(ws, data)
    write_atomic(out, welcome)
    _console().print(f"wrote {out}: give it to the new device (fieldledger join {out})")


@member_app.command("revoke")
def member_revoke(
    member: Annotated[str, typer.Argument(metavar="MEMBER", help="Key start or label.")],
) -> None:
    """Remove a lost or seized device: what is written from now on is sealed under new keys
    it never receives, and events it writes later are refused everywhere."""
    from fieldledger.cli import _console, _open
    from fieldledger.sync.revoke import revoke

    with _open() as ws:
        gone = revoke(ws, member)
    _console().print(
        f"revoked {gone.name}; new keys made. Sync every device soon, and make a new "
        "recovery kit (fieldledger recovery create)"
    )


def join_command(
    file: Annotated[
        Path, typer.Argument(metavar="INVITE", help="The invitation (or, later, the welcome).")
    ],
    code_file: Annotated[
        Path | None,
        typer.Option("--code-file", help="Read the secret or spoken code from this file."),
    ] = None,
    reply_out: Annotated[
        Path | None,
        typer.Option("--reply-out", help="Network invitation: where to write the reply."),
    ] = None,
    label: Annotated[str, typer.Option("--label", help="A name for this device.")] = "device",
    insecure_fast_kdf: FastKdf = False,
) -> None:
    """Join a workspace on this device, in the --workspace folder, with a new passphrase."""
    from fieldledger.cli import _console, _new_passphrase, _passphrase, _workspace_path, state
    from fieldledger.files import write_atomic
    from fieldledger.sync import invite

    path = _workspace_path()
    data = _read(file)
    env = invite.read_envelope(data)
    console = _console()
    if env.kind == invite.WELCOME:
        ws = invite.finish_join(path, data, _passphrase())
        ws.close()
        console.print(f"joined: this device is now a member ({ws.keyring.role})")
        return
    passphrase = _new_passphrase(state.passphrase_file, "New passphrase for this device")
    secret = code = None
    if env.kind == invite.APART:
        secret = _read_code(code_file, "Invitation secret (as shown by the admin)")
    elif env.kind == invite.NETWORK:
        code = _read_code(code_file, "The code the admin told you")
        if reply_out is None:
            reply_out = _neutral_name()
    from fieldledger.vault.kdf import TEST_PARAMS

    fast = {"params": TEST_PARAMS, "check_strength": False} if insecure_fast_kdf else {}
    result = invite.join(path, data, passphrase, secret=secret, code=code, label=label, **fast)
    if isinstance(result, bytes):
        write_atomic(reply_out, result)
        console.print(
            f"wrote {reply_out}: send it to the admin, then run `fieldledger join WELCOME` "
            "with the welcome file the admin sends back"
        )
        return
    role = result.keyring.role
    result.close()
    console.print(f"joined as {role}: send a bundle back (fieldledger sync export) to finish")


@sync_app.command("prune")
def sync_prune() -> None:
    """Shed what an admin or coordinator device has already taken in: this device keeps
    the chain headers (still verifiable) but no longer the records. For field devices that
    cross checkpoints."""
    from fieldledger.cli import _console, _open
    from fieldledger.sync.prune import prune

    with _open() as ws:
        shed = prune(ws)
    if shed:
        _console().print(f"shed {shed} events a coordinator already holds")
    else:
        _console().print("nothing to shed: send a bundle to a coordinator and import its reply")
