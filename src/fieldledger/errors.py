"""Every error fieldledger raises on purpose.

The CLI and the web UI turn these into one line for the person at the keyboard and a
non-zero exit code; anything else is a bug. Messages are written for a field worker: they
say what went wrong and what to do, and never contain record content or key material.

    FieldledgerError
    ├── WorkspaceError            the workspace folder is missing, damaged or already exists
    │   ├── StoreDamaged          the encrypted database has damaged pages
    │   └── StoreBusy             another command holds the workspace for too long
    ├── VaultError
    │   ├── WrongPassphrase       no passphrase slot opens with what was typed
    │   ├── WeakPassphrase        a new passphrase is too easy to guess
    │   └── SlotError             add/remove/change of a passphrase slot is not possible
    ├── LedgerError
    │   ├── VerificationError     a chain or signature does not check; names the event
    │   │   └── BlobDamaged       an evidence file does not authenticate or is cut short
    │   └── LogFileError          an exported log file is damaged, truncated or foreign
    ├── RecordError
    │   ├── ValidationError       input for a record is wrong; names record, line and field
    │   ├── UnknownRecord         no record with that type and id
    │   └── ForgottenRecord       the person was forgotten; nothing of theirs can be shown
    └── AccountError              a web account cannot be added, changed or found
"""

from __future__ import annotations


class FieldledgerError(Exception):
    """Base of every error fieldledger raises on purpose."""

    exit_code = 1


class WorkspaceError(FieldledgerError):
    """The workspace folder is missing, not a workspace, or already holds one."""


class StoreDamaged(WorkspaceError):
    """Pages of the encrypted database fail to decrypt or make no sense."""

    exit_code = 5


class StoreBusy(WorkspaceError):
    """Another command or the web server held the workspace longer than the wait allows."""


class VaultError(FieldledgerError):
    """Keys could not be unwrapped or stored."""


class WrongPassphrase(VaultError):
    """No passphrase slot opens with the passphrase given."""

    exit_code = 3


class WeakPassphrase(VaultError):
    """A new passphrase is too short or too easy to guess."""


class SlotError(VaultError):
    """A passphrase slot cannot be added, removed or changed."""


class LedgerError(FieldledgerError):
    """The event log is inconsistent."""


class VerificationError(LedgerError):
    """A chain or signature does not check.

    ``event`` names the first bad event as ``author/compartment/seq``.
    """

    exit_code = 4

    def __init__(self, message: str, event: str | None = None) -> None:
        super().__init__(message)
        self.event = event


class BlobDamaged(VerificationError):
    """An evidence file does not authenticate, has a size no blob can have, or is truncated."""


class LogFileError(LedgerError):
    """An exported log file is damaged, truncated or from another workspace."""

    exit_code = 4


class RecordError(FieldledgerError):
    """A record cannot be stored or shown."""


class ValidationError(RecordError):
    """Input for a record is wrong; the message names the record, line and field."""

    exit_code = 2


class UnknownRecord(RecordError):
    """No record with that type and id."""


class ForgottenRecord(RecordError):
    """The person was forgotten: none of their personal data exists any more."""


class AccountError(FieldledgerError):
    """A web account (a person logging in from a phone) cannot be added, changed or found."""

    exit_code = 2
