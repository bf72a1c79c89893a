"""Roles: which compartments a member device holds the keys of.

A device receives, stores and can read only the compartments of its role; a bundle carries
nothing else to it. `members` (who belongs, and the epoch keys sealed to each) and
`access-log` (each device's record of who opened or exported what) are held by every role,
because every device must check membership and write its own access log.
"""

from __future__ import annotations

from fieldledger.errors import ValidationError

MEMBERS = "members"
ACCESS_LOG = "access-log"
EVERY_ROLE = (MEMBERS, ACCESS_LOG)

ROLES: dict[str, tuple[str, ...]] = {
    # Sets up the workspace, invites and revokes members; holds everything.
    "admin": ("people", "programme", "incidents", "finance", "org-security"),
    # Runs the programme and the team's safety; receives everything the field sends.
    "coordinator": ("people", "programme", "incidents", "finance", "org-security"),
    # Registers households and people, assesses, distributes.
    "field": ("people", "programme"),
    # Records incidents and their evidence; sees programme records for context, no names.
    "documenter": ("incidents", "programme"),
    # Grants, tranches, spending, transfer channels; programme records to report on.
    "finance": ("finance", "programme"),
    # Reads programme records (households without names, distributions, projects).
    "viewer": ("programme",),
}

# Roles whose acknowledgement lets a field device shed what it carries (`sync prune`).
KEEPERS = ("admin", "coordinator")
# Roles that open sensitive feedback (complaints of sexual exploitation and abuse): the
# record travels to every device holding `people`, its key only to these.
PROTECTED_ROLES = ("admin", "coordinator")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def compartments_of(role: str) -> tuple[str, ...]:
    """Every compartment a device of `role` holds keys for."""
    return (*ROLES[check_role(role)], *EVERY_ROLE)
