"""Importing Kobo / ODK Central exports and plain sheets, on files shaped like real exports
(tests/data/kobo, tests/data/odk; their READMEs say what each row is for)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Literal

import msgspec
import openpyxl
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from fieldledger.errors import ValidationError
from fieldledger.intake import importer
from fieldledger.intake.importer import apply, import_file, prepare
from fieldledger.intake.kobo import read_export
from fieldledger.intake.mapping import (
    CellError,
    Kind,
    Mapping,
    RowReader,
    coerce,
    guess_mapping,
    load_mapping,
    parse_mapping,
)
from fieldledger.intake.tabular import Sheet
from fieldledger.records import RecordType, record_type

DATA = Path(__file__).parent.parent / "data"
KOBO = DATA / "kobo"
ODK = DATA / "odk"
TITLE = "Household registration 2024"
_NUMBER = re.compile(r"^\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    return list(csv.reader(text.splitlines(), delimiter=";" if text.count(";") else ","))


def typed(cell: str):
    """As Kobo writes an XLSX with 'store date and number responses as text' off."""
    if _NUMBER.match(cell):
        return int(cell)
    if _DATE.match(cell):
        return dt.datetime.fromisoformat(cell)
    return cell or None


def write_xlsx(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(rows[0])
        for row in rows[1:]:
            sheet.append([typed(c) for c in row])
    book.save(path)
    return path


@pytest.fixture
def kobo_xlsx(tmp_path) -> Path:
    """Kobo's XLSX export: submissions on the first sheet, the repeat group on its own."""
    return write_xlsx(tmp_path / "household_registration.xlsx", {
        TITLE: read_rows(KOBO / "household_registration.csv"),
        "members": read_rows(KOBO / "household_registration-members.csv"),
    })


@pytest.fixture
def odk_zip(tmp_path) -> Path:
    """ODK Central's .csv.zip: FORM.csv and FORM-REPEAT.csv."""
    path = tmp_path / "household_survey.csv.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name in ("household_survey.csv", "household_survey-members.csv"):
            z.write(ODK / name, name)
    return path


def mapping_without_repeats() -> Mapping:
    data = yaml.safe_load((KOBO / "household_registration.yaml").read_text(encoding="utf-8"))
    data.pop("repeats")
    return parse_mapping(data)


def by_code(ws) -> dict[str, dict]:
    return {h["code"]: h for h in ws.list("household")}


# -- reading the shapes ---------------------------------------------------------------------


def test_kobo_xlsx_links_repeat_rows_to_their_submission(kobo_xlsx):
    export = read_export(kobo_xlsx, "kobo")
    assert export.main.name == TITLE and export.id_column == "_uuid"
    members = export.repeat("members")
    assert members.parent is None
    assert members.parent_rows == [0, 0, 1, 1, 1, 2, 3]
    assert members.ordinals == [1, 2, 1, 2, 3, 1, 1]
    assert members.sheet.numbers[0] == 2  # the header is row 1


def test_kobo_csv_is_semicolon_separated_and_has_no_repeats():
    export = read_export(KOBO / "household_registration.csv", "kobo")
    assert export.main.columns[:2] == ("start", "end") and export.repeats == {}
    assert len(export.main) == 4


def test_odk_zip_and_bare_csv_give_the_same_links(odk_zip):
    zipped = read_export(odk_zip, "odk")
    bare = read_export(ODK / "household_survey.csv", "odk")
    for export in (zipped, bare):
        assert export.id_column == "KEY" and set(export.repeats) == {"members"}
        assert export.repeats["members"].parent_rows == [0, 0, 1, 1, 2]
        assert export.repeats["members"].ordinals == [1, 2, 1, 2, 1]


def test_not_an_odk_export_is_one_clear_error():
    with pytest.raises(ValidationError, match="not an ODK Central export"):
        read_export(KOBO / "household_registration.csv", "odk")


# -- cells ----------------------------------------------------------------------------------


def test_cells_become_the_field_kind():
    assert coerce(Kind("int"), "၁၉၈၅") == 1985
    assert coerce(Kind("int"), "႔") == 4  # Shan digit
    assert coerce(Kind("int"), "၁ဝ") == 10  # the letter wa typed for zero
    assert coerce(Kind("int"), "4.0") == 4 and coerce(Kind("int"), 4.0) == 4
    assert coerce(Kind("float"), "၂.၅") == 2.5
    assert coerce(Kind("date"), dt.datetime(2021, 3, 2)) == dt.date(2021, 3, 2)
    assert coerce(Kind("date"), 44257) == dt.date(2021, 3, 2)  # an Excel day number
    assert coerce(Kind("date"), "2021-03-02T00:00:00") == dt.date(2021, 3, 2)
    assert coerce(Kind("bool"), "yes") is True and coerce(Kind("bool"), 0) is False
    assert coerce(Kind("str"), 1234.0) == "1234"
    assert coerce(Kind("list", Kind("str")), "food  cash") == ["food", "cash"]
    assert coerce(Kind("int"), "  ") is None
    for kind, value in (("int", "lots"), ("int", 2.5), ("date", "02/03/2021"), ("bool", "maybe")):
        with pytest.raises(CellError):
            coerce(Kind(kind), value)


@given(st.sampled_from(["int", "float", "bool", "date", "datetime", "str", "any"]),
       st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none()))
def test_any_cell_is_a_value_or_a_cell_error(kind, value):
    try:
        coerce(Kind(kind), value)
    except CellError as exc:  # a fixed message: never the cell's content
        assert str(exc).startswith("not a ") or str(exc).startswith("not yes or no")
        assert len(str(exc)) < 45


class Needs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    assistance: list[Literal["food", "cash", "shelter_kit"]] = []
    cash: bool | None = None


NEEDS = RecordType("needs", "needs", "programme", Needs, "ND")


def test_select_multiple_as_one_column_and_as_choice_columns(kobo_xlsx):
    sheet = read_export(kobo_xlsx, "kobo").main
    mapping = Mapping("household", {"assistance": "hh/assistance", "cash": "hh/assistance/cash"})
    reader = RowReader(mapping, sheet, "f", rtype=NEEDS)
    spaced = [reader.read(row) for row in sheet.rows]
    assert [d for d, _ in spaced] == [
        {"assistance": ["food", "cash"], "cash": True}, {"assistance": ["food"], "cash": False},
        {}, {"assistance": ["cash", "shelter_kit"], "cash": True},
    ]
    # The same answers from the 0/1 columns alone, as when only those were exported.
    keep = [i for i, c in enumerate(sheet.columns) if c != "hh/assistance"]
    split = Sheet(sheet.name, tuple(sheet.columns[i] for i in keep),
                  [tuple(r[i] for i in keep) for r in sheet.rows], sheet.numbers)
    reader = RowReader(Mapping("household", {"assistance": "hh/assistance"}), split, "f",
                       rtype=NEEDS)
    assert [reader.read(r)[0].get("assistance", []) for r in split.rows] == [
        d.get("assistance", []) for d, _ in spaced
    ]


# -- mappings -------------------------------------------------------------------------------


def test_mapping_file_is_checked_against_the_record_type(tmp_path):
    mapping = load_mapping(KOBO / "household_registration.yaml")
    assert mapping.type == "household" and mapping.repeats[0].parent_field == "household_id"
    bad = tmp_path / "bad.yaml"
    for text, message in (
        ("type: household\nfields: {colour: hh/colour}\n", "no field 'colour'"),
        ("type: household\nfield: {}\n", "unknown key 'field'"),
        ("type: nothing\n", "unknown record type"),
        ("type: household\nfields: {id: _uuid}\n", "id comes from id_from"),
        ("type: household\nrepeats: [{repeat: members, type: person}]\n", "parent_field"),
        ("type: [household\n", "line 2: not valid YAML"),
    ):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ValidationError, match=re.escape(message)):
            load_mapping(bad)


def test_guessed_mapping_matches_names_and_round_trips(kobo_xlsx):
    guess = guess_mapping(read_export(kobo_xlsx, "kobo"), "household")
    assert guess.mapping.fields == {
        "code": "hh/hh_code", "location_pcode": "hh/village_pcode",
        "displacement_status": "hh/displacement", "displaced_on": "hh/displaced_on",
        "shelter_type": "hh/shelter", "size": "hh/hh_size",
    }
    assert guess.complete and guess.mapping.id_from == "_uuid"
    (members,) = guess.mapping.repeats
    assert (members.type, members.repeat, members.parent_field) == (
        "person", "members", "household_id")
    assert members.fields["name"] == "hh/members/member_name"
    assert members.fields["disability.seeing"] == "hh/members/wg_seeing"
    text = guess.yaml("household_registration.xlsx")
    assert text.startswith("# Mapping guessed from household_registration.xlsx")
    assert parse_mapping(yaml.safe_load(text)) == guess.mapping


def test_an_incomplete_guess_is_refused_with_what_is_missing(ws, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("code,pcode,size\nHH-1,MMR003001,3\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"no column found for household\.displacement"):
        import_file(ws, path, "csv", type_name="household")


# -- importing ------------------------------------------------------------------------------


def test_bad_rows_are_each_named_and_nothing_is_imported(ws, kobo_xlsx):
    report = import_file(ws, kobo_xlsx, "kobo", load_mapping(KOBO / "household_registration.yaml"))
    assert report.added == 0
    assert [str(p) for p in report.problems] == [
        f"household_registration.xlsx sheet {TITLE} row 5 column hh/hh_size (J): "
        "household field size: not a whole number",
        "household_registration.xlsx sheet members row 3 column hh/members/birth_year (C): "
        "person field birth_year: Expected `int` >= 1900",
    ]
    assert "lots" not in str(report.problems) and "Saw Eh Moo" not in str(report.problems)
    assert ws.list("household") == [] and ws.list("person") == []


def test_skip_bad_imports_the_rest_and_a_second_import_adds_nothing(ws, kobo_xlsx):
    mapping = load_mapping(KOBO / "household_registration.yaml")
    report = import_file(ws, kobo_xlsx, "kobo", mapping, skip_bad=True)
    assert (report.added, report.already, report.skipped) == (8, 0, 3)
    assert report.by_type == {"household": 3, "person": 5}
    households = by_code(ws)
    assert set(households) == {"HH-0001", "HH-0002", "HH-0003"}
    assert households["HH-0002"]["size"] == 5  # Burmese digit
    assert households["HH-0001"]["displaced_on"] == "2021-03-02"  # an Excel date
    assert households["HH-0003"]["shelter_type"] == "makeshift"  # values: tent → makeshift
    people = [ws.get("person", p["id"]) for p in ws.list("person")]
    naw_paw = next(p for p in people if p["name"] == "Naw Paw")
    assert naw_paw["birth_year"] == 1985 and naw_paw["disability"]["seeing"] == 2
    assert naw_paw["household_id"] == households["HH-0002"]["id"]
    assert {p["household_id"] for p in people} == {h["id"] for h in households.values()}

    again = import_file(ws, kobo_xlsx, "kobo", mapping, skip_bad=True)
    assert (again.added, again.already, again.skipped) == (0, 8, 3)
    assert len(ws.list("household")) == 3 and len(ws.list("person")) == 5


def test_kobo_csv_and_xlsx_of_one_form_make_the_same_records(ws, kobo_xlsx):
    first = import_file(ws, KOBO / "household_registration.csv", "kobo",
                        mapping_without_repeats(), skip_bad=True)
    assert first.by_type == {"household": 3}
    second = import_file(ws, kobo_xlsx, "kobo", load_mapping(KOBO / "household_registration.yaml"),
                         skip_bad=True)
    assert (second.already, second.by_type) == (3, {"person": 5})


def test_odk_central_zip_with_the_guessed_mapping(ws, odk_zip):
    report = import_file(ws, odk_zip, "odk", type_name="household")
    assert report.problems == () and report.by_type == {"household": 3, "person": 5}
    households = by_code(ws)
    assert households["HH-0101"]["size"] == 6
    saw_kaw = next(p for p in (ws.get("person", x["id"]) for x in ws.list("person"))
                   if p["name"] == "Saw Kaw")
    assert saw_kaw["birth_year"] == 2008
    assert saw_kaw["household_id"] == households["HH-0101"]["id"]
    # The main CSV with its repeat file beside it is the same export.
    again = import_file(ws, ODK / "household_survey.csv", "odk", type_name="household")
    assert (again.added, again.already) == (0, 8)


def test_a_forgotten_person_stays_forgotten_on_reimport(ws, odk_zip):
    import_file(ws, odk_zip, "odk", type_name="household")
    person = ws.list("person")[0]
    ws.forget(person["id"])
    again = import_file(ws, odk_zip, "odk", type_name="household")
    assert (again.added, again.already) == (0, 8)
    assert next(p for p in ws.list("person") if p["id"] == person["id"])["forgotten"]


def test_ids_come_from_the_submission_under_a_workspace_key(ws, odk_zip):
    import_file(ws, odk_zip, "odk", type_name="household")
    rid = importer.record_id(importer.id_key(ws), record_type("household"),
                             "3f6c1e2a-9b8d-4c7e-a5f4-0e1d2c3b4a59")
    assert by_code(ws)["HH-0101"]["id"] == rid
    assert re.fullmatch(r"HH-[A-Z2-7]{16}", rid)


def test_plain_csv_and_xlsx_need_an_id_column(ws, tmp_path):
    rows = [["code", "pcode", "status", "people"], ["HH-9001", "MMR003001", "idp", "3"],
            ["HH-9002", "MMR003002", "host", "၄"]]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    fields = {"code": "code", "location_pcode": "pcode", "displacement_status": "status",
              "size": "people"}
    with pytest.raises(ValidationError, match="id_from"):
        import_file(ws, path, "csv", Mapping("household", fields))
    mapping = Mapping("household", fields, id_from="code")
    assert import_file(ws, path, "csv", mapping).added == 2
    book = write_xlsx(tmp_path / "list.xlsx", {"Sheet1": rows})
    assert import_file(ws, book, "xlsx", mapping).already == 2
    assert by_code(ws)["HH-9002"]["size"] == 4


def test_a_household_code_given_twice_is_refused_naming_the_row(ws, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text(
        "_uuid,code,location_pcode,displacement_status,size\n"
        "u1,HH-1,MMR003001,idp,3\nu2,HH-2,MMR003001,idp,4\nu3,hh-1,MMR003001,host,2\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"sheet\.csv.*row 4.*field code: another "
                                              r"household already has the code hh-1"):
        import_file(ws, path, "csv", type_name="household")
    assert ws.list("household") == []  # not the two good rows either


def test_one_failure_while_adding_leaves_nothing_half_applied(ws, odk_zip, monkeypatch):
    export = read_export(odk_zip, "odk")
    plan = prepare(ws, export, guess_mapping(export, "household").mapping)
    real, calls = ws.add, []

    def failing_add(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:
            raise ValidationError("disk full, say")
        return real(*args, **kwargs)

    monkeypatch.setattr(ws, "add", failing_add)
    with pytest.raises(ValidationError):
        apply(ws, plan)
    monkeypatch.undo()
    assert ws.list("household") == [] and ws.list("person") == []
    done = []
    assert apply(ws, plan, progress=done.append) == {"household": 3, "person": 5}
    assert done[-1] == 8


def test_the_same_submission_twice_in_a_file(ws, tmp_path):
    rows = read_rows(KOBO / "household_registration.csv")
    twice = [rows[0], rows[1], rows[1], [*rows[2][:9], "7", *rows[2][10:]], rows[2]]
    path = tmp_path / "dup.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=";").writerows(twice)
    report = import_file(ws, path, "kobo", mapping_without_repeats())
    assert len(report.problems) == 1 and "row 5" in str(report.problems[0])
    assert "the same submission as sheet dup row 4, with different answers" in str(
        report.problems[0])
