"""Devices of one workspace and the movement of records between them (docs/sync.md)."""
