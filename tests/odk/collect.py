"""A client that behaves as ODK Collect does against our OpenRosa endpoints: it reads the
form list, downloads each form and its manifest, checks the hash, and sends encrypted
submissions built with `odk.crypto.encrypt_submission` (Collect's own layout, byte for byte),
as multipart posts with ``xml_submission_file`` first and the ``.enc`` files after it."""

from __future__ import annotations

import hashlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from starlette.testclient import TestClient

from fieldledger.odk.crypto import encrypt_submission

XFORMS = "{http://www.w3.org/2002/xforms}"
LIST = "{http://openrosa.org/xforms/xformsList}"
HEADERS = {"X-OpenRosa-Version": "1.0"}


@dataclass
class Downloaded:
    form_id: str
    version: str
    xform: bytes
    public_key: str
    submission_url: str


@dataclass
class Collect:
    client: TestClient
    server_url: str  # http://host:port/odk/TOKEN, as the QR code sets it
    forms: dict[str, Downloaded] = field(default_factory=dict)

    def path(self, url: str) -> str:
        return url.removeprefix(str(self.client.base_url))

    def form_list(self) -> list[dict[str, str]]:
        response = self.client.get(self.path(f"{self.server_url}/formList"), headers=HEADERS)
        assert response.headers["X-OpenRosa-Version"] == "1.0"
        response.raise_for_status()
        root = ET.fromstring(response.content)
        return [
            {child.tag.removeprefix(LIST): (child.text or "") for child in xform}
            for xform in root.iter(f"{LIST}xform")
        ]

    def download_all(self) -> dict[str, Downloaded]:
        for item in self.form_list():
            response = self.client.get(self.path(item["downloadUrl"]), headers=HEADERS)
            response.raise_for_status()
            assert item["hash"] == "md5:" + hashlib.md5(response.content).hexdigest()
            manifest = self.client.get(self.path(item["manifestUrl"]), headers=HEADERS)
            manifest.raise_for_status()
            submission = ET.fromstring(response.content).find(f".//{XFORMS}submission")
            assert submission is not None
            self.forms[item["formID"]] = Downloaded(
                item["formID"],
                item["version"],
                response.content,
                submission.get("base64RsaPublicKey") or "",
                submission.get("action") or "",
            )
        return self.forms

    def head(self) -> object:
        return self.client.head(self.path(f"{self.server_url}/submission"), headers=HEADERS)

    def encrypt(
        self,
        form_id: str,
        answers: str,
        media: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
        *,
        instance_id: str | None = None,
        version: str | None = None,
        public_key: str | None = None,
    ) -> tuple[str, bytes, dict[str, bytes]]:
        form = self.forms[form_id]
        iid = instance_id or f"uuid:{uuid.uuid4()}"
        version = form.version if version is None else version
        xml = (
            f'<data xmlns:jr="http://openrosa.org/javarosa" '
            f'xmlns:orx="http://openrosa.org/xforms" id="{form_id}" version="{version}">'
            f"{answers}<meta><instanceID>{iid}</instanceID></meta></data>"
        ).encode()
        manifest, files = encrypt_submission(
            xml, list(media), form_id, version, iid, public_key or form.public_key
        )
        return iid, manifest, files

    def post(self, manifest: bytes, files: dict[str, bytes], url: str | None = None):
        parts = [("xml_submission_file", ("submission.xml", manifest, "text/xml"))]
        parts += [(name, (name, data, "application/octet-stream")) for name, data in files.items()]
        target = url or f"{self.server_url}/submission"
        return self.client.post(self.path(target), files=parts, headers=HEADERS)

    def submit(self, form_id: str, answers: str, media=(), **kw):
        _, manifest, files = self.encrypt(form_id, answers, list(media), **kw)
        return self.post(manifest, files, self.forms[form_id].submission_url)
