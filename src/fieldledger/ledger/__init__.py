"""The signed, hash-chained, append-only event log: the one source of truth."""
