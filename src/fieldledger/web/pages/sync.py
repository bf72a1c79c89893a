"""Screens: sync, for coordinators and admins, as `fieldledger sync ...` does it.

`/sync` shows the devices this one has taken bundles from and when (`sync status`), the
alarms (a forked chain, a replayed bundle), and four forms:

- export: a bundle for everyone or for one member, sent as a download under a neutral
  random name (`sync export [--for MEMBER]`);
- import: an uploaded bundle, taken in all or nothing (`sync import FILE`); a refusal is one
  line and nothing is applied;
- sync with a device running `fieldledger serve` at a URL (`sync http URL`);
- sync through a relay (`sync relay URL`).

The workspace is held for the whole exchange, as for any request: other pages wait (and
answer "busy" after half a minute) while a slow link syncs.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.errors import FieldledgerError
from fieldledger.sync import exchange, members
from fieldledger.web.app import COORDINATORS, Ctx, PageSet, one_line
from fieldledger.web.rendering import number

pages = PageSet()

NETWORK_TIMEOUT_S = 60.0  # a request holds the workspace: shorter than the command line's


def _when(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _status(ctx: Ctx) -> dict[str, Any]:
    conn = ctx.ws.conn
    peers = []
    for device, counter, seen in conn.execute(
        "SELECT device, counter, seen FROM peers ORDER BY seen DESC"
    ).fetchall():
        m = members.member(conn, device)
        peers.append(
            {"name": m.name if m else device[:4].hex(), "counter": counter, "when": _when(seen)}
        )
    alarms = [
        {"when": _when(at), "kind": kind, "detail": detail}
        for at, kind, detail in reversed(exchange.alarms(conn))
    ]
    kits = {d for (d,) in conn.execute("SELECT device FROM recovery_kits")}
    others = [
        m
        for m in members.all_members(conn)
        if m.active and m.device != ctx.ws.device and m.device not in kits
    ]
    return {"peers": peers, "alarms": alarms, "others": others}


def _page(
    ctx: Ctx, *, error: str = "", status: int = 200, http_url: str = "", relay_url: str = ""
) -> Response:
    return ctx.render(
        "sync_page.html.j2",
        status=status,
        error=error,
        http_url=http_url,
        relay_url=relay_url,
        **_status(ctx),
    )


@pages.route("/sync", roles=COORDINATORS)
def sync_page(ctx: Ctx) -> Response:
    return _page(ctx)


@pages.route("/sync/export", roles=COORDINATORS, methods=["POST"])
def sync_export(ctx: Ctx) -> Response:
    member = ctx.field("member")
    try:
        if member and members.find(ctx.ws.conn, member).device == ctx.ws.device:
            raise members.MembershipError("a bundle for this device itself is of no use")
        exported = exchange.export_bundle(ctx.ws, member or None)
    except FieldledgerError as exc:
        return _page(ctx, error=one_line(exc), status=400)
    # A neutral name, as the command line gives: nothing in it says what the file is.
    name = f"{secrets.token_hex(4)}.dat"
    return Response(
        exported.data,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@pages.route("/sync/import", roles=COORDINATORS, methods=["POST"])
def sync_import(ctx: Ctx) -> Response:
    upload = ctx.upload("bundle")
    if upload is None:
        return _page(ctx, error=i18n._("Choose a file to take in."), status=400)
    data = upload.file.read()
    try:
        result = exchange.import_bundle(ctx.ws, data)
    except FieldledgerError as exc:
        return _page(ctx, error=one_line(exc), status=400)
    if result.already:
        note = i18n._("Nothing new: this file was already taken in.")
    else:
        note = i18n._("Took in %(n)s new records and changes from %(device)s.") % {
            "n": number(result.events),
            "device": result.sender,
        }
        if result.skipped:
            note += " " + i18n._("%(n)s were already here.") % {"n": number(result.skipped)}
    return ctx.redirect("/sync", note)


@pages.route("/sync/http", roles=COORDINATORS, methods=["POST"])
def sync_with_url(ctx: Ctx) -> Response:
    from fieldledger.sync.http import sync_http

    url = ctx.field("url")
    try:
        result = sync_http(ctx.ws, url, timeout=NETWORK_TIMEOUT_S)
    except FieldledgerError as exc:
        return _page(ctx, error=one_line(exc), status=400, http_url=url)
    note = i18n._("Synced with %(device)s: sent %(sent)s, took in %(received)s new.") % {
        "device": result.server,
        "sent": number(result.sent),
        "received": number(result.received),
    }
    return ctx.redirect("/sync", note)


@pages.route("/sync/relay", roles=COORDINATORS, methods=["POST"])
def sync_with_relay(ctx: Ctx) -> Response:
    from fieldledger.sync.relay import sync_relay

    url = ctx.field("url")
    try:
        result = sync_relay(ctx.ws, url, timeout=NETWORK_TIMEOUT_S)
    except FieldledgerError as exc:
        return _page(ctx, error=one_line(exc), status=400, relay_url=url)
    note = i18n._(
        "Left %(pushed)s at the relay; took in %(taken)s bundles (%(events)s new) from "
        "%(boxes)s mailboxes."
    ) % {
        "pushed": number(result.pushed),
        "taken": number(result.taken),
        "events": number(result.events),
        "boxes": number(result.mailboxes),
    }
    if result.skipped:
        note += " " + i18n._("Refused: %(n)s bundles (%(reason)s).") % {
            "n": number(len(result.skipped)),
            "reason": result.skipped[0][1],
        }
    return ctx.redirect("/sync", note)
