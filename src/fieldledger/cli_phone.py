"""`fieldledger phone`: set ODK Collect up on a phone by one QR scan; list and revoke.

Thin: tokens are `fieldledger.odk.tokens`, a setup and its QR code `fieldledger.odk.setup`
(the web UI's Phones page uses the same), the forms `fieldledger.odk.forms`. The phone
reaches the OpenRosa endpoints that `fieldledger serve --odk-port PORT` offers over plain
HTTP (submissions are end-to-end encrypted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

phone_app = typer.Typer(
    help="Phones with ODK Collect or KoboCollect: set up by QR code, list, revoke.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


@phone_app.command("setup")
def phone_setup(
    account: Annotated[str, typer.Argument(help="The web account the phone acts for.")],
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="The server as the phone reaches it, e.g. http://192.168.43.1:8766 "
            "(serve with --odk-port 8766). Default: this computer's address.",
            show_default=False,
        ),
    ] = None,
    project: Annotated[
        str, typer.Option("--project", help="The project name the phone shows.")
    ] = "fieldledger",
    label: Annotated[str, typer.Option("--label", help="A note: whose phone this is.")] = "",
    png: Annotated[
        Path | None,
        typer.Option("--png", help="Also write the QR code as an image here.", show_default=False),
    ] = None,
) -> None:
    """Make a phone token for ACCOUNT and print ODK Collect's settings QR code.

    Scan it in Collect (Projects, Add project, Configure with QR code). The code holds the
    token: show it only to the phone, and revoke it (`phone revoke`) if it is seen."""
    import io

    from fieldledger.cli import _console, _open
    from fieldledger.errors import FieldledgerError
    from fieldledger.odk import setup

    try:
        base = setup.check_url(url) if url else setup.default_url()
    except FieldledgerError as exc:
        raise typer.BadParameter(str(exc), param_hint="--url") from None
    with _open() as ws:
        made = setup.set_up(ws, account, base, project, label)
    qr = made.qr()
    if png is not None:
        qr.save(str(png), scale=6, border=4)
    console = _console()
    out = io.StringIO()
    qr.terminal(out=out, compact=True)
    console.print(out.getvalue(), highlight=False, markup=False)
    console.print(
        f"Phone {made.token_id} set up for {made.account} at {made.shown_url} "
        "(token shown only in the code).\n"
        f"Admin password for Collect's protected settings: {made.admin_password}\n"
        "Keep it from the person holding the phone; it is not stored anywhere.",
        soft_wrap=True,
    )


@phone_app.command("list")
def phone_list() -> None:
    """Every phone token: its id, account, note and whether it still works."""
    import datetime as dt

    from fieldledger.cli import _console, _open
    from fieldledger.odk import tokens

    with _open() as ws:
        found = tokens.list_tokens(ws)
    console = _console()
    if not found:
        console.print("no phones set up: `fieldledger phone setup ACCOUNT`")
    for t in found:
        made = dt.datetime.fromtimestamp(t.created, dt.UTC).date().isoformat()
        state = "revoked" if t.revoked else "active"
        console.print(f"{t.token_id}  {t.account:<24} {state:<8} since {made}  {t.label}")


@phone_app.command("revoke")
def phone_revoke(
    which: Annotated[str, typer.Argument(help="An account (all its phones) or a token id.")],
) -> None:
    """End phone tokens: a lost or seized phone can no longer fetch forms or send."""
    from fieldledger.cli import _console, _open
    from fieldledger.odk import tokens

    with _open() as ws:
        n = tokens.revoke(ws, which)
    _console().print(f"revoked {n} phone token{'s' if n != 1 else ''}")


@phone_app.command("forms")
def phone_forms(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write each form's XForm here (for KoboToolbox or checking), keyed for "
            "this workspace.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The phone forms, the compartment each feeds and the roles offered it."""
    from fieldledger.cli import _console, _open
    from fieldledger.odk import forms, keys
    from fieldledger.web.app import writing

    console = _console()
    if out is None:
        for form in forms.FORMS.values():
            roles = ", ".join(sorted(writing(*form.writes)))
            console.print(
                f"{form.form_id:<16} v{form.version:<4} {form.title:<26} "
                f"key: {form.compartment:<10} roles: {roles}"
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    with _open() as ws:
        for form in forms.FORMS.values():
            if form.compartment not in ws.keyring.epochs:
                continue
            key = keys.form_key(ws, form.compartment)
            (out / f"{form.form_id}.xml").write_bytes(
                forms.build(form.form_id, key.public_key_b64, None)
            )
            console.print(f"wrote {out / f'{form.form_id}.xml'}")
