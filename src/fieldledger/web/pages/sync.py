"""Screens: sync."""

from __future__ import annotations

from fieldledger.web.app import PageSet

pages = PageSet()
