"""ODK Collect's settings QR code: the one scan that sets a phone up.

Collect (and KoboCollect) read a QR code holding ``base64(zlib(JSON))`` where the JSON has
three sections: ``general`` (server, form management, sending), ``admin`` (the admin
password and which settings the person holding the phone may change) and ``project``
(name, icon, colour). A setting left out is reset to Collect's default when the code is
scanned, so the code says everything we rely on.

What we set, and why (docs/phones.md explains each to coordinators):

- ``server_url``: ``http(s)://HOST:PORT/odk/TOKEN`` — the token is the phone's credential;
- ``form_update_mode: match_exactly`` with automatic updates: the phone holds exactly the
  forms its account is offered, and loses a form when the role changes;
- ``autosend: wifi_and_cellular`` and ``delete_send``: a finished form leaves the phone as
  soon as the laptop is in reach, and nothing of it stays once sent;
- an admin password, and the interviewer may not change the server, sending, deleting after
  send, or form updates, nor view or edit sent and finalized forms;
- ``save_as_draft: false``: drafts are not encrypted by Collect, so none are kept.
"""

from __future__ import annotations

import base64
import json
import secrets
import zlib
from typing import Any


def collect_settings(server_url: str, project: str, admin_password: str) -> dict[str, Any]:
    return {
        "general": {
            "server_url": server_url,
            "form_update_mode": "match_exactly",
            "periodic_form_updates_check": "every_fifteen_minutes",
            "automatic_update": True,
            "autosend": "wifi_and_cellular",
            "delete_send": True,
            "constraint_behavior": "on_swipe",
            "analytics": False,
            "metadata_username": "",
            "metadata_phonenumber": "",
            "metadata_email": "",
        },
        "admin": {
            "admin_pw": admin_password,
            "change_server": False,
            "change_project_display": False,
            "change_autosend": False,
            "change_form_update_mode": False,
            "periodic_form_updates_check": False,
            "automatic_update": False,
            "delete_after_send": False,
            "change_constraint_behavior": False,
            "analytics": False,
            "change_form_metadata": False,
            "view_sent": False,
            "edit_saved": False,
            "save_as_draft": False,
            "change_admin_password": False,
            "qr_code_scanner": False,
        },
        "project": {"name": project, "icon": "F", "color": "#3f51b5"},
    }


def encode(settings: dict[str, Any]) -> str:
    """The text a settings QR code carries."""
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode(payload: str) -> dict[str, Any]:
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))


def admin_password() -> str:
    """A password for Collect's protected settings: 12 letters and digits, easy to type."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))
