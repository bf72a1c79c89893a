"""Setting a phone up: a new token for a web account, and ODK Collect's settings QR code.

One function for both ways in: `fieldledger phone setup` prints the code in the terminal,
the web UI's Phones page shows it as an image. Nothing here prints or writes a file.

The code holds the token (in its ``server_url``), which is stored only as a hash
(`odk.tokens`): a `PhoneSetup` lives for one answer and is never kept, so the code cannot be
shown again. A new phone, or a code someone else may have seen, needs a new token.
"""

from __future__ import annotations

import base64
import contextlib
import io
import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fieldledger.errors import FieldledgerError
from fieldledger.odk import settings, tokens

if TYPE_CHECKING:
    import segno

    from fieldledger.workspace import Workspace

DEFAULT_ODK_PORT = 8766  # `serve --odk-port`, as docs/phones.md uses it
DEFAULT_PROJECT = "fieldledger"
MAX_PROJECT = 40
MAX_URL = 200
QR_PIXELS = 330  # the code's width on a page: fits a 360 px phone screen


@dataclass(frozen=True)
class PhoneSetup:
    """What one setup made: shown once, then forgotten."""

    account: str
    token_id: str  # names the token (`phone list`, `phone revoke ID`); cannot be used
    base_url: str  # http://HOST:PORT, without the token
    project: str
    label: str
    admin_password: str  # for Collect's protected settings; not stored anywhere
    payload: str  # the text of the QR code: base64(zlib(JSON)), the token inside

    @property
    def shown_url(self) -> str:
        """The server address as it may be shown: the token left out."""
        return f"{self.base_url}/odk/…"

    def qr(self) -> segno.QRCode:
        import segno

        return segno.make(self.payload, error="l")

    def svg(self, width: int = QR_PIXELS) -> tuple[str, int]:
        """The code as a standalone SVG document, and its width in pixels."""
        qr = self.qr()
        modules = qr.symbol_size(scale=1, border=4)[0]
        scale = max(2, width // modules)
        out = io.BytesIO()
        qr.save(out, kind="svg", scale=scale, border=4, dark="#000", light="#fff", xmldecl=False)
        return out.getvalue().decode("utf-8"), modules * scale

    def svg_data_uri(self, width: int = QR_PIXELS) -> tuple[str, int]:
        """The code as a ``data:`` URI for an ``<img>`` (allowed by the web UI's CSP)."""
        svg, size = self.svg(width)
        encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return f"data:image/svg+xml;base64,{encoded}", size


def check_url(url: str) -> str:
    """The server address as the phone will use it, ``http(s)://HOST[:PORT]``, checked."""
    text = url.strip().rstrip("/")
    wrong = FieldledgerError(
        "give the phone's server address as http://HOST:PORT, e.g. http://192.168.43.1:8766"
    )
    if not text or len(text) > MAX_URL or re.search(r"[\s\x00-\x1f\x7f]", text):
        raise wrong
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise wrong
    if parts.username or parts.password or parts.query or parts.fragment:
        raise wrong
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise wrong from None
    return text


def _usable(host: str) -> bool:
    """Could a phone on the hotspot reach this laptop by `host`?"""
    if host in ("", "localhost", "0.0.0.0", "::"):
        return False
    with contextlib.suppress(ValueError):
        ip = ipaddress.ip_address(host)
        return not (ip.is_loopback or ip.is_unspecified)
    return True


def default_url(host: str | None = None, port: int = DEFAULT_ODK_PORT) -> str:
    """The address to offer: `host` (as a browser reached the web UI) unless it is this
    laptop's own loopback, else this computer's first network address; plain HTTP on the
    phone port."""
    from fieldledger.web import tls

    if host is None or not _usable(host):
        host = (tls.local_addresses() or ["127.0.0.1"])[0]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    try:
        return check_url(url)
    except FieldledgerError:
        return f"http://127.0.0.1:{port}"


def set_up(
    ws: Workspace, account: str, url: str, project: str = DEFAULT_PROJECT, label: str = ""
) -> PhoneSetup:
    """A new phone token for an active web account, and the Collect settings that carry it.

    Raises `FieldledgerError` for a wrong address and `AccountError` for an account that is
    not active; nothing is stored then."""
    base = check_url(url)
    project = " ".join(project.split())[:MAX_PROJECT] or DEFAULT_PROJECT
    token = tokens.issue(ws, account, label)
    password = settings.admin_password()
    payload = settings.encode(settings.collect_settings(f"{base}/odk/{token}", project, password))
    from fieldledger.web.accounts import check_name

    name = check_name(account)
    return PhoneSetup(
        account=name,
        token_id=tokens.digest(token).hex()[:8],
        base_url=base,
        project=project,
        label=label.strip()[:60],
        admin_password=password,
        payload=payload,
    )
