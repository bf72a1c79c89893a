"""The OpenRosa endpoints ODK Collect and KoboCollect talk to, under ``/odk/{token}/``.

    GET  formList                       the forms of the token's role (xforms-list XML)
    GET  forms/{form_id}/form.xml       one form, encrypted for its compartment's key
    GET  forms/{form_id}/manifest       its media manifest (our forms have no media files)
    HEAD submission                     204, with the largest body we take
    POST submission                     multipart: xml_submission_file and the .enc files

Every answer carries ``X-OpenRosa-Version: 1.0``; every refusal is OpenRosa response XML
whose message Collect shows. A token that is unknown, revoked or whose account was removed
gets the same 403 on every route. The routes take the workspace lock like the web pages.

The body of a submission is read into memory, up to `MAX_BODY`, and split by our own
multipart reader: Starlette's form parser would spool files over 1 MB to a temporary file,
which is plaintext on disk as far as anyone can know (an encrypted submission's files are
ciphertext, but a phone that sends an unencrypted one should not leave it on our disk
either). These routes are the only ones `serve --odk-port` offers over plain HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from fieldledger.errors import FieldledgerError, StoreBusy
from fieldledger.odk import forms, keys, tokens
from fieldledger.odk.intake import Refused, receive
from fieldledger.workspace import ACTING_AS

if TYPE_CHECKING:
    from fieldledger.web.app import WebState

MAX_BODY = 60 * 1024 * 1024  # the largest submission taken, media included
# What HEAD tells Collect: it splits bigger submissions into several posts, which we
# cannot take for encrypted forms, so this is the whole budget.
ACCEPT_LENGTH = MAX_BODY - 1024 * 1024
MAX_PARTS = 64
XML = "text/xml; charset=utf-8"
OPENROSA = {"X-OpenRosa-Version": "1.0"}


def _xml(body: str, status: int = 200, **extra: str) -> Response:
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
        status_code=status,
        media_type=XML,
        headers={**OPENROSA, **extra},
    )


def openrosa_message(message: str, status: int, nature: str = "") -> Response:
    kind = f' nature="{nature}"' if nature else ""
    return _xml(
        '<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
        f"<message{kind}>{escape(message)}</message></OpenRosaResponse>",
        status,
    )


def _refused_token() -> Response:
    return openrosa_message(
        "This phone's access was ended, or its address is wrong: ask your coordinator to "
        "set the phone up again.",
        403,
    )


def _base(request: Request) -> str:
    """This token's server address as the phone used it."""
    token = request.path_params["token"]
    root = str(request.base_url).rstrip("/")
    root = root.removesuffix("/odk")  # inside the mount, base_url includes its path
    return f"{root}/odk/{token}"


class MultipartTooLarge(Exception):
    pass


def read_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Parts of a multipart/form-data body, in memory: name → (file name, bytes)."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ValueError("not multipart/form-data")
    parts: dict[str, tuple[str | None, bytes]] = {}
    current: dict = {}
    header = [b"", b""]

    def on_part_begin() -> None:
        current.clear()
        current.update(headers={}, data=bytearray())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        current["headers"][header[0].lower()] = header[1]
        header[0], header[1] = b"", b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current["data"] += data[start:end]

    def on_part_end() -> None:
        disposition, opts = parse_options_header(
            current["headers"].get(b"content-disposition", b"")
        )
        name = opts.get(b"name")
        if disposition != b"form-data" or name is None:
            raise ValueError("a part without a name")
        if len(parts) >= MAX_PARTS:
            raise MultipartTooLarge
        filename = opts.get(b"filename")
        key = name.decode("utf-8", "replace")
        if key in parts:
            raise ValueError("a part twice")
        parts[key] = (
            filename.decode("utf-8", "replace") if filename is not None else None,
            bytes(current["data"]),
        )

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(body)
    parser.finalize()
    return parts


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY (the rest is not read)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def odk_routes(state: WebState) -> list[Mount]:
    """The OpenRosa routes, on the web server's workspace and lock."""
    from fieldledger.web.app import locked

    async def run(fn: Callable[[], Response]) -> Response:
        try:
            return await run_in_threadpool(locked, state, fn)
        except StoreBusy:
            return openrosa_message("The server is busy: try again in a minute.", 503)

    def bearer_of(request: Request) -> tokens.Bearer | None:
        return tokens.resolve(state.ws_provider(), request.path_params["token"])

    async def form_list(request: Request) -> Response:
        base = _base(request)

        def list_forms() -> Response:
            bearer = bearer_of(request)
            if bearer is None:
                return _refused_token()
            ws = state.ws_provider()
            wanted = request.query_params.get("formID")
            items = []
            for form in forms.forms_for(bearer.role):
                if wanted and form.form_id != wanted:
                    continue
                key = keys.form_key(ws, form.compartment)
                xform = forms.build(form.form_id, key.public_key_b64, f"{base}/submission")
                url = f"{base}/forms/{form.form_id}"
                items.append(
                    "<xform>"
                    f"<formID>{escape(form.form_id)}</formID>"
                    f"<name>{escape(form.title)}</name>"
                    f"<version>{escape(form.version)}</version>"
                    f"<hash>{forms.md5_hash(xform)}</hash>"
                    f"<downloadUrl>{escape(url)}/form.xml</downloadUrl>"
                    f"<manifestUrl>{escape(url)}/manifest</manifestUrl>"
                    "</xform>"
                )
            return _xml(
                '<xforms xmlns="http://openrosa.org/xforms/xformsList">'
                + "".join(items)
                + "</xforms>"
            )

        return await run(list_forms)

    def _offered(request: Request) -> tuple[tokens.Bearer | None, forms.Form | None]:
        bearer = bearer_of(request)
        if bearer is None:
            return None, None
        wanted = request.path_params["form_id"]
        form = next((f for f in forms.forms_for(bearer.role) if f.form_id == wanted), None)
        return bearer, form

    async def form_xml(request: Request) -> Response:
        base = _base(request)

        def download() -> Response:
            bearer, form = _offered(request)
            if bearer is None:
                return _refused_token()
            if form is None:
                return openrosa_message("There is no such form for your account.", 404)
            key = keys.form_key(state.ws_provider(), form.compartment)
            xform = forms.build(form.form_id, key.public_key_b64, f"{base}/submission")
            return Response(xform, media_type=XML, headers=OPENROSA)

        return await run(download)

    async def manifest(request: Request) -> Response:
        def show() -> Response:
            bearer, form = _offered(request)
            if bearer is None:
                return _refused_token()
            if form is None:
                return openrosa_message("There is no such form for your account.", 404)
            return _xml('<manifest xmlns="http://openrosa.org/xforms/xformsManifest"/>')

        return await run(show)

    async def submission(request: Request) -> Response:
        if request.method == "HEAD":

            def head() -> Response:
                if bearer_of(request) is None:
                    return _refused_token()
                return Response(
                    status_code=204,
                    headers={**OPENROSA, "X-OpenRosa-Accept-Content-Length": str(ACCEPT_LENGTH)},
                )

            return await run(head)
        body = await _read_body(request)
        if body is None:
            return openrosa_message("This submission is too large for the server.", 413)
        try:
            parts = read_multipart(body, request.headers.get("content-type", ""))
        except Exception:  # whatever the parser says: the body is not a form we read
            return openrosa_message("The submission could not be read; send it again.", 400)
        del body
        if "*isIncomplete*" in parts:
            return openrosa_message(
                "This submission came in pieces, which encrypted forms cannot take; "
                "send fewer or smaller files with it.",
                413,
            )
        sent = parts.pop("xml_submission_file", None)
        if sent is None:
            return openrosa_message("The submission has no xml_submission_file.", 400)
        files = {(filename or name): data for name, (filename, data) in parts.items()}

        def take() -> Response:
            bearer = bearer_of(request)
            if bearer is None:
                return _refused_token()
            ws = state.ws_provider()
            acting = ACTING_AS.set(bearer.account)
            try:
                received = receive(ws, bearer, sent[1], files)
            except Refused as exc:
                return openrosa_message(str(exc), exc.status)
            except FieldledgerError as exc:  # a record the mapping let through, refused
                return openrosa_message(str(exc).splitlines()[0], 400)
            finally:
                ACTING_AS.reset(acting)
            if received.already:
                return openrosa_message(
                    "Already received: nothing was added.", 202, "submit_success"
                )
            return openrosa_message("Received: thank you.", 201, "submit_success")

        return await run(take)

    # One mount: the routes of phones, reached by token, not by a web session.
    return [
        Mount(
            "/odk",
            routes=[
                Route("/{token}/formList", form_list, methods=["GET"]),
                Route("/{token}/forms/{form_id}/form.xml", form_xml, methods=["GET"]),
                Route("/{token}/forms/{form_id}/manifest", manifest, methods=["GET"]),
                Route("/{token}/submission", submission, methods=["HEAD", "POST"]),
            ],
        )
    ]


def odk_app(state: WebState) -> Starlette:
    """The OpenRosa routes alone: what `serve --odk-port` offers over plain HTTP."""
    app = Starlette(routes=odk_routes(state))
    app.state.web = state
    return app
