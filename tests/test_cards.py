from __future__ import annotations

import pytest

from fieldledger.cards import cards_html, qr_svg
from fieldledger.errors import UnknownRecord
from tests.conftest import household


def test_cards_carry_the_code_and_township_but_no_name(ws):
    hid = ws.add("household", household("HH-7QK2", location_pcode="MMR003001"))
    ws.add("person", {"household_id": hid, "sex": "female", "name": "Naw Paw Htoo"})
    other = ws.add("household", household("HH-9ZZ1"))
    page = cards_html(ws, [hid])
    assert qr_svg("HH-7QK2") in page and "HH-7QK2" in page
    assert "Hpa-An" in page and "ဘားအံ" in page
    assert "Paw Htoo" not in page and "HH-9ZZ1" not in page
    assert page.count('class="card"') == 1
    assert cards_html(ws).count('class="card"') == 2 and other


def test_qr_codes_differ_per_code():
    assert qr_svg("HH-0001") != qr_svg("HH-0002")
    assert qr_svg("HH-0001").startswith("<svg")


def test_no_households_no_cards(ws):
    with pytest.raises(UnknownRecord):
        cards_html(ws)
