"""Docs that tests keep honest: every command, option and record field is documented."""

from __future__ import annotations

from pathlib import Path

import msgspec
import typer.main

from fieldledger.cli import app
from fieldledger.records import REGISTRY

DOCS = Path(__file__).parent.parent / "docs"
# The guide, and the topic documents it links to for records, evidence, imports, sync,
# reports, the web UI and phones.
GUIDE = "\n".join(
    (DOCS / name).read_text(encoding="utf-8")
    for name in (
        "guide.md",
        "records.md",
        "evidence.md",
        "import.md",
        "sync.md",
        "reports.md",
        "web.md",
        "phones.md",
    )
    if (DOCS / name).exists()
)


def commands():
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            for sub_name, sub in command.commands.items():
                yield f"{name} {sub_name}", sub
        else:
            yield name, command


def test_every_command_and_option_is_in_the_guide():
    missing = []
    for name, command in commands():
        if f"`{name}" not in GUIDE:
            missing.append(name)
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and not param.hidden and opt not in GUIDE:
                    missing.append(f"{name} {opt}")
    assert missing == []


def test_every_record_field_is_in_the_guide():
    missing = [
        f"{t.name}.{f.name}"
        for t in REGISTRY.values()
        for f in msgspec.structs.fields(t.struct)
        if f"`{f.name}`" not in GUIDE
    ]
    assert missing == []
