"""`fieldledger recovery ...`: a kit of word lists that restores a workspace on a new device.

Thin like the rest of the CLI: read what the person gives, make one library call, print.
The library lives in `fieldledger.sync.recovery`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fieldledger.cli import FastKdf, _group

recovery_app = _group(
    "Recovery kit: word lists for trusted people that restore the workspace on a new device.",
    no_args_is_help=True,
)

KitPassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--kit-passphrase-file",
        metavar="FILE",
        help="Read the kit's passphrase from this file's first line instead of asking (scripts).",
        show_default=False,
    ),
]
WORDS_PER_LINE = 5


def _kit_passphrase(ask: bool, path: Path | None, *, confirm: bool) -> str:
    from fieldledger.cli import _read_secret_file

    if path is not None:
        return _read_secret_file(path)
    if ask:
        return typer.prompt(
            "Passphrase of the recovery kit", hide_input=True, confirmation_prompt=confirm
        )
    return ""


def _numbered(words: list[str]) -> list[str]:
    """The words numbered from 1, WORDS_PER_LINE to a line, as they are written down."""
    cells = [f"{n:>2} {w:<9}" for n, w in enumerate(words, start=1)]
    return [
        "  " + "  ".join(cells[i : i + WORDS_PER_LINE]).rstrip()
        for i in range(0, len(cells), WORDS_PER_LINE)
    ]


def _read_text(path: Path) -> str:
    from fieldledger.errors import WorkspaceError

    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkspaceError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise WorkspaceError(f"{path}: not UTF-8 text") from None


@recovery_app.command("create")
def create(
    shares: Annotated[
        int,
        typer.Option(
            "--shares", metavar="N", help="How many shares (word lists) to make, up to 16."
        ),
    ] = 3,
    threshold: Annotated[
        int,
        typer.Option(
            "--threshold", metavar="N", help="How many shares together restore the workspace."
        ),
    ] = 2,
    passphrase: Annotated[
        bool,
        typer.Option(
            "--passphrase",
            help="Protect the kit with a passphrase too (asked for): a restore then needs it "
            "with the shares.",
        ),
    ] = False,
    kit_passphrase_file: KitPassphraseFile = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            metavar="DIR",
            help="Write share-1.txt, share-2.txt, ... to this folder instead of printing the "
            "words (scripts; the files are as secret as the words).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Make a recovery kit (admin devices): SHARES word lists, any THRESHOLD of which,
    with a bundle of the workspace, restore it on a new device. Replaces the previous kit."""
    from fieldledger.cli import _console, _open
    from fieldledger.sync.recovery import check_share_folder, create_kit, write_share_files

    if out_dir is not None:
        check_share_folder(out_dir, shares)
    with _open() as ws:
        phrase = _kit_passphrase(passphrase, kit_passphrase_file, confirm=True)
        kit = create_kit(ws, shares=shares, threshold=threshold, passphrase=phrase)
    console = _console(stderr=True)
    if out_dir is not None:
        paths = write_share_files(kit, out_dir)
        console.print(
            f"made recovery kit {kit.kit}: wrote {len(paths)} shares to {out_dir}", soft_wrap=True
        )
    else:
        for n in range(1, len(kit.shares) + 1):
            typer.echo(f"share {n} of {len(kit.shares)} (kit {kit.kit}):")
            for line in _numbered(kit.words(n)):
                typer.echo(line)
            typer.echo("")
    with_phrase = " and the kit's passphrase" if phrase else ""
    console.print(
        f"Any {kit.threshold} of these {len(kit.shares)} shares{with_phrase} restore the "
        "workspace: give each share to a different trusted person, on paper, ideally outside "
        "the country. Make a new kit after every revocation and after every restore.",
        soft_wrap=True,
    )


@recovery_app.command("restore")
def restore(
    from_: Annotated[
        list[Path],
        typer.Option(
            "--from",
            metavar="BUNDLE",
            help="A full bundle made after the kit (sync export --full), or every bundle a "
            "relay holds; repeat for each file.",
            show_default=False,
        ),
    ],
    shares_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--shares-file",
            metavar="FILE",
            help="A file holding one share's words; repeat for each share (default: type them).",
            show_default=False,
        ),
    ] = None,
    passphrase: Annotated[
        bool, typer.Option("--passphrase", help="The kit has a passphrase: ask for it.")
    ] = False,
    kit_passphrase_file: KitPassphraseFile = None,
    label: Annotated[
        str, typer.Option("--label", help="Name of this device among the members.")
    ] = "restored",
    insecure_fast_kdf: FastKdf = False,
) -> None:
    """Rebuild the workspace in --workspace (a new folder) as a new admin device, from
    enough shares of the newest kit and a bundle. Asks for this device's new passphrase."""
    from fieldledger.cli import _console, _passphrase, _workspace_path
    from fieldledger.sync import members, recovery
    from fieldledger.vault.kdf import TEST_PARAMS

    path = _workspace_path()
    from fieldledger.cli_sync import _read

    data = [_read(p) for p in from_]
    if shares_file:
        mnemonics = [_read_text(p) for p in shares_file]
    else:
        mnemonics = [typer.prompt("Words of share 1")]
        for n in range(2, recovery.shares_needed(mnemonics[0]) + 1):
            mnemonics.append(typer.prompt(f"Words of share {n}"))
    phrase = _kit_passphrase(passphrase, kit_passphrase_file, confirm=False)
    new = _passphrase("New passphrase for this device", confirm=True)
    with recovery.restore(
        path,
        new,
        mnemonics,
        data,
        passphrase=phrase,
        params=TEST_PARAMS if insecure_fast_kdf else None,
        check_strength=not insecure_fast_kdf,
        label=label,
    ) as ws:
        me = members.member(ws.conn, ws.device)
        events = ws.summary().events
    console = _console()
    console.print(
        f"restored workspace {path} ({events} events) on a new device, "
        f"{me.name if me else label}, admin",
        soft_wrap=True,
    )
    _console(stderr=True).print(
        "Now: send a bundle from this device to the others (sync export) so they accept it, "
        "and make a new recovery kit (recovery create): this kit cannot restore again.",
        soft_wrap=True,
    )
