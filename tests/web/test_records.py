"""The generic record list: each cell as the page shows it."""

from __future__ import annotations

from fieldledger import i18n
from fieldledger.web.forms import Field
from fieldledger.web.records import RecordScreens, list_cells

TRANCHES = RecordScreens(
    type_name="tranche",
    base="/tranches",
    title="Tranches",
    listed=("grant_id", "expected_date", "status", "received_amount", "note"),
)
FIELDS = {
    "grant_id": Field("grant_id", "ref", True, ref="grant"),
    "expected_date": Field("expected_date", "date", True),
    "status": Field("status", "choice", False, choices=("in_kind_food", "late")),
    "received_amount": Field("received_amount", "float", False),
}
NAMES = {"grant_id": {"GR-1": ("ECHO 2026", "/grants/GR-1"), "GR-2": ("Local fund", "")}}


def test_cells_link_the_record_and_name_what_it_refers_to() -> None:
    rows = [
        {"id": "TR-1", "grant_id": "GR-1", "expected_date": "2026-01-31", "status": "late",
         "received_amount": 1250000.0, "note": None},
        {"id": "TR-2", "grant_id": "GR-9", "expected_date": None, "status": None,
         "received_amount": 12.5, "note": "<b>"},
        {"id": "TR-3", "grant_id": None, "expected_date": "2026-03-01", "status": "in_kind_food"},
    ]
    table = list_cells(TRANCHES, FIELDS, NAMES, rows)
    assert table[0] == [
        ("ECHO 2026", "/tranches/TR-1"),  # the first column links to the record, by name
        ("2026-01-31", None),
        ("Late", None),  # an allowed value in words
        ("1,250,000", None),
        ("", None),
    ]
    # A reference not found is shown as stored; a record without one by its own id.
    assert table[1][0] == ("GR-9", "/tranches/TR-2")
    assert table[1][2:] == [("", None), ("12.50", None), ("<b>", None)]  # escaped by Jinja
    assert table[2][0] == ("TR-3", "/tranches/TR-3")
    assert table[2][2] == ("In kind food", None)
    with i18n.language("my"):
        burmese = list_cells(TRANCHES, FIELDS, NAMES, rows[:1])[0]
    assert burmese[1] == ("၂၀၂၆-၀၁-၃၁", None) and burmese[3] == ("၁,၂၅၀,၀၀၀", None)


def test_a_reference_in_a_later_column_links_to_the_record_it_names() -> None:
    screens = RecordScreens(
        "tranche", "/tranches", "Tranches", listed=("expected_date", "grant_id")
    )
    rows = [{"id": "TR-1", "expected_date": "2026-01-31", "grant_id": "GR-1"},
            {"id": "TR-2", "expected_date": "2026-02-28", "grant_id": "GR-2"},
            {"id": "TR-3", "expected_date": "2026-03-31", "grant_id": "GR-7"}]
    table = list_cells(screens, FIELDS, NAMES, rows)
    assert [row[1] for row in table] == [
        ("ECHO 2026", "/grants/GR-1"), ("Local fund", None), ("GR-7", None)
    ]
