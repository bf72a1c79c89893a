"""Intake: reading outside data (Kobo/ODK exports, XLSX and CSV sheets) into records."""
