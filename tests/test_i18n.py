"""Messages in Burmese: the gettext layer, record errors in each language, the catalogue."""

from __future__ import annotations

import json
import re
import runpy
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import get_args

import msgspec
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from fieldledger import i18n
from fieldledger.errors import ValidationError
from fieldledger.i18n import current_language, language, set_language
from fieldledger.intake.burmese import normalise
from fieldledger.records import REGISTRY, convert
from fieldledger.records.base import PATTERNS, TYPE_NAMES
from fieldledger.records.finance import TrancheStatus
from fieldledger.sync.roles import ROLES
from tests.conftest import household
from tests.web.test_catalogue import record_values, web_msgids

ROOT = Path(__file__).parent.parent
PO = ROOT / "src/fieldledger/i18n/locale/my/LC_MESSAGES/fieldledger.po"
MO = PO.with_suffix(".mo")
SCRIPT = ROOT / "scripts/compile-catalogues"
# What gettext tools extract: invalid()'s second argument is a msgid too.
KEYWORDS = {"_": None, "gettext": None, "N_": None, "pgettext": ((1, "c"), 2), "invalid": (2,)}


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    monkeypatch.delenv(i18n.ENV, raising=False)
    set_language(None)
    yield
    set_language(None)


def error(family: str, data, lang: str, source: str = "stdin line 2") -> str:
    with language(lang), pytest.raises(ValidationError) as caught:
        convert(REGISTRY[family], data, source=source)
    return str(caught.value)


# -- the language -----------------------------------------------------------------------


def test_language_is_set_else_environment_else_english(monkeypatch):
    assert current_language() == "en"
    monkeypatch.setenv(i18n.ENV, "my")
    assert current_language() == "my"
    set_language("en")
    assert current_language() == "en"
    set_language(None)
    assert current_language() == "my"
    monkeypatch.setenv(i18n.ENV, "klingon")  # ignored here; the CLI refuses it
    assert current_language() == "en"
    with language("my"):
        assert current_language() == "my" and i18n._("or") == "သို့မဟုတ်"
    assert current_language() == "en" and i18n.gettext("or") == "or"
    with pytest.raises(ValueError, match="unknown language 'fr': use one of en, my"):
        set_language("fr")
    assert i18n.LANGUAGES == ("en", "my")


# -- record errors, Burmese and English ---------------------------------------------------

HH = household("HH-0001")
DIST = {"household_id": "HH-1", "modality": "in_kind_food", "date": "2025-01-01",
        "location_pcode": "MMR003"}
TRAINING = {"topic": "human_rights", "start_date": "2025-01-01", "facilitator_pseudonym": "T",
            "location_pcode": "MMR003"}
INCIDENT = {"kind": "arson", "date": "2025-01-01", "location_pcode": "MMR003",
            "source_reliability": "unreliable"}
EVIDENCE = {"incident_id": "IN-1", "kind": "photo", "sha256": "a" * 64, "size": 1,
            "media_type": "image/jpeg", "blob": "b" * 32}

# (family, input, msgspec's or the rule's English words, the Burmese line): msgspec's words
# as it really prints them (English is unchanged), each said again in Burmese.
CASES = [
    ("household", {k: v for k, v in HH.items() if k != "size"},
     "household field size: missing required field `size`",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ဝင်ဦးရေ (size): "
     "မဖြစ်မနေ ဖြည့်ရမည့် အကွက် ဖြစ်သည်၊ ဖြည့်ထားခြင်း မရှိပါ"),
    ("household", {**HH, "colour": "red"},
     "household unknown field `colour`",
     "household မှတ်တမ်း: `colour` ဟူသော အကွက် မရှိပါ၊ အကွက်အမည်ကို ပြန်စစ်ပါ"),
    ("person", {"household_id": "HH-1", "sex": "female", "disability": {"smell": 1}},
     "person field disability: unknown field `smell`",
     "person မှတ်တမ်း၊ မသန်စွမ်းမှု (disability): "
     "`smell` ဟူသော အကွက် မရှိပါ၊ အကွက်အမည်ကို ပြန်စစ်ပါ"),
    ("household", {**HH, "size": "lots"},
     "household field size: Expected `int`, got `str`",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ဝင်ဦးရေ (size): "
     "ကိန်းပြည့် (ဒသမမပါသော ဂဏန်း) ဖြစ်ရမည်၊ စာသား ဖြစ်နေသည်"),
    ("household", {**HH, "size": 4.5},
     "household field size: Expected `int`, got `float`",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ဝင်ဦးရေ (size): "
     "ကိန်းပြည့် (ဒသမမပါသော ဂဏန်း) ဖြစ်ရမည်၊ ဒသမပါသော ဂဏန်း ဖြစ်နေသည်"),
    ("household", {**HH, "code": 5},
     "household field code: Expected `str`, got `int`",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ကုဒ် (code): စာသား ဖြစ်ရမည်၊ ကိန်းပြည့် ဖြစ်နေသည်"),
    ("household", {**HH, "consent_given": "maybe"},
     "household field consent_given: Expected `bool | null`, got `str`",
     "household မှတ်တမ်း၊ သဘောတူညီချက် ပေးပြီး (consent_given): "
     "true သို့မဟုတ် false ဖြစ်ရမည်၊ စာသား ဖြစ်နေသည်"),
    ("household", {**HH, "displaced_on": 5},
     "household field displaced_on: Expected `date | null`, got `int`",
     "household မှတ်တမ်း၊ နေရပ်စွန့်ခွာခဲ့သည့် ရက်စွဲ (displaced_on): "
     "ရက်စွဲ (YYYY-MM-DD) ဖြစ်ရမည်၊ ကိန်းပြည့် ဖြစ်နေသည်"),
    ("distribution", {**DIST, "quantity": "abc"},
     "distribution field quantity: Expected `float | null`, got `str`",
     "distribution မှတ်တမ်း၊ အရေအတွက် (quantity): ဂဏန်း ဖြစ်ရမည်၊ စာသား ဖြစ်နေသည်"),
    ("household", {**HH, "size": None},
     "household field size: Expected `int`, got `null`",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ဝင်ဦးရေ (size): "
     "ကိန်းပြည့် (ဒသမမပါသော ဂဏန်း) ဖြစ်ရမည်၊ ဗလာ (null) ဖြစ်နေသည်"),
    ("activity", {"project_id": "PR-1", "date": "2025-01-01", "kind": "meeting",
                  "location_pcode": "MMR003", "participants": [1]},
     "activity field participants: Expected `object`, got `array`",
     "activity မှတ်တမ်း၊ ပါဝင်သူများ (participants): "
     "JSON object { … } ဖြစ်ရမည်၊ JSON array [ … ] ဖြစ်နေသည်"),
    ("household", {**HH, "size": 0},
     "household field size: Expected `int` >= 1",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ဝင်ဦးရေ (size): အနည်းဆုံး ၁ ဖြစ်ရမည်"),
    ("household", {**HH, "size": 61},
     "household field size: Expected `int` <= 60",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ဝင်ဦးရေ (size): အများဆုံး ၆၀ ဖြစ်ရမည်"),
    ("person", {"household_id": "HH-1", "sex": "female", "birth_year": "1800"},
     "person field birth_year: Expected `int` >= 1900",
     "person မှတ်တမ်း၊ မွေးနှစ် (birth_year): အနည်းဆုံး ၁၉၀၀ ဖြစ်ရမည်"),
    ("distribution", {**DIST, "quantity": 0},
     "distribution field quantity: Expected `float` > 0.0",
     "distribution မှတ်တမ်း၊ အရေအတွက် (quantity): ၀ ထက် များရမည်"),
    ("distribution", {**DIST, "quantity": 2e9},
     "distribution field quantity: Expected `float` <= 1000000000.0",
     "distribution မှတ်တမ်း၊ အရေအတွက် (quantity): အများဆုံး ၁,၀၀၀,၀၀၀,၀၀၀ ဖြစ်ရမည်"),
    ("distribution", {**DIST, "modality": "cash", "value": -1, "currency": "MMK"},
     "distribution field value: Expected `float` >= 0.0",
     "distribution မှတ်တမ်း၊ တန်ဖိုး (value): အနည်းဆုံး ၀ ဖြစ်ရမည်"),
    ("activity", {"project_id": "PR-1", "date": "2025-01-01", "kind": "meeting",
                  "location_pcode": "MMR003", "participants": {"female_0_5": -1}},
     "activity field participants.female_0_5: Expected `int` >= 0",
     "activity မှတ်တမ်း၊ ပါဝင်သူများ၊ အမျိုးသမီး အသက် ၀–၅ (participants.female_0_5): "
     "အနည်းဆုံး ၀ ဖြစ်ရမည်"),
    ("household", {**HH, "code": "H"},
     "household field code: Expected `str` of length >= 3",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ကုဒ် (code): စာလုံး အနည်းဆုံး ၃ လုံး ရှိရမည်"),
    ("household", {**HH, "code": "H" * 40},
     "household field code: Expected `str` of length <= 32",
     "household မှတ်တမ်း၊ အိမ်ထောင်စု ကုဒ် (code): စာလုံး ၃၂ လုံးထက် မပိုရပါ"),
    ("household", {**HH, "displacement_status": "gone"},
     "household field displacement_status: Invalid enum value 'gone'",
     "household မှတ်တမ်း၊ နေရပ်စွန့်ခွာမှု အခြေအနေ (displacement_status): 'gone' ကို "
     "လက်မခံပါ၊ ဤတို့မှ တစ်ခုကို ရွေးပါ: host, idp, refugee, relocated, resident, returnee"),
    ("household", {**HH, "displaced_on": "2025-02-30"},
     "household field displaced_on: Invalid RFC3339 encoded date",
     "household မှတ်တမ်း၊ နေရပ်စွန့်ခွာခဲ့သည့် ရက်စွဲ (displaced_on): ရက်စွဲ မှားနေသည်၊ "
     "YYYY-MM-DD ပုံစံဖြင့် 0-9 ဂဏန်းသုံး၍ ရေးပါ (ဥပမာ 2025-03-15)"),
    ("household", {**HH, "location_pcode": "Yangon"},
     "household field location_pcode: Expected `str` matching regex "
     "'^MMR[0-9]{3}([DS][0-9]{3}|([0-9]{3}){0,3})$'",
     "household မှတ်တမ်း၊ နေရာ P-code (location_pcode): MIMU P-code ဖြစ်ရမည်: MMR နှင့် "
     "နောက်တွင် 0-9 ဂဏန်း ၃၊ ၆၊ ၉ သို့မဟုတ် ၁၂ လုံး (ဥပမာ MMR003001)"),
    ("incident", {**INCIDENT, "time": "25:00"},
     "incident field time: Expected `str` matching regex '^([01][0-9]|2[0-3]):[0-5][0-9]$'",
     "incident မှတ်တမ်း၊ အချိန် (time): ၂၄ နာရီစနစ်ဖြင့် နာရီ:မိနစ် (HH:MM) ရေးပါ "
     "(ဥပမာ 14:30)"),
    ("incident", {**INCIDENT, "affected": {"killed": {"male_0_5": "x"}}},
     "incident field affected.killed.male_0_5: Expected `int`, got `str`",
     "incident မှတ်တမ်း၊ ထိခိုက်ခံရသူများ၊ သေဆုံး၊ အမျိုးသား အသက် ၀–၅ "
     "(affected.killed.male_0_5): ကိန်းပြည့် (ဒသမမပါသော ဂဏန်း) ဖြစ်ရမည်၊ စာသား ဖြစ်နေသည်"),
    # Rules across fields (invalid() in records/*.py).
    ("distribution", {**DIST, "transfer_channel": "hundi"},
     "distribution field transfer_channel: only for modality cash or voucher",
     "distribution မှတ်တမ်း၊ ငွေလွှဲ နည်းလမ်း (transfer_channel): ထောက်ပံ့ပုံ အမျိုးအစား "
     "(modality) သည် cash သို့မဟုတ် voucher ဖြစ်မှသာ ဖြည့်ရသည်"),
    ("distribution", {**DIST, "modality": "voucher"},
     "distribution field value: required for modality voucher",
     "distribution မှတ်တမ်း၊ တန်ဖိုး (value): ထောက်ပံ့ပုံ အမျိုးအစား (modality) voucher "
     "အတွက် မဖြစ်မနေ ဖြည့်ရမည်"),
    ("training", {**TRAINING, "participants": {"male_18_59": 1, "with_disability_male": 2}},
     "training field participants.with_disability_male: "
     "more people with a disability than male participants counted",
     "training မှတ်တမ်း၊ ပါဝင်သူများ၊ မသန်စွမ်း အမျိုးသား (participants.with_disability_male): "
     "မသန်စွမ်း အမျိုးသား ဦးရေသည် ရေတွက်ထားသော အမျိုးသား ပါဝင်သူ ဦးရေထက် များနေသည်"),
    ("household", {**HH, "consent_given": True},
     "household field consent_date: required when consent_given is true",
     "household မှတ်တမ်း၊ သဘောတူညီသည့် ရက်စွဲ (consent_date): သဘောတူညီချက် ပေးပြီး "
     "(consent_given) true ဖြစ်လျှင် မဖြစ်မနေ ဖြည့်ရမည်"),
]


@pytest.mark.parametrize("family,data,english,burmese", CASES)
def test_each_error_in_burmese_and_english(family, data, english, burmese):
    assert error(family, data, "en") == f"stdin line 2: {english}"
    line = error(family, data, "my")
    assert line == f"stdin line 2: {burmese}"
    assert "\n" not in line and normalise(line).status == "unicode"  # Unicode, not Zawgyi


def test_numbers_in_burmese_digits_formats_in_ascii():
    line = error("grant", {"donor": "D", "amount": 1e14, "currency": "USD",
                           "restriction": "flexible", "period_start": "2025-01-01",
                           "period_end": "2025-12-31"}, "my", source="grants.xlsx row 7")
    assert line == ("grants.xlsx row 7: grant မှတ်တမ်း၊ ပမာဏ (amount): "
                    "အများဆုံး ၁၀,၀၀၀,၀၀၀,၀၀၀,၀၀၀ ဖြစ်ရမည်")
    what = line.split(": ", 2)[2]
    assert not re.search("[0-9]", what)


def test_every_rule_across_fields_in_burmese():
    rules = [
        ("distribution", {**DIST, "group": "camp B"}, "household_id"),
        ("distribution", {**DIST, "value": 5}, "currency"),
        ("distribution", {**DIST, "currency": "MMK"}, "value"),
        ("feedback", {"channel": "sms", "date": "2025-01-01", "category": "sea"}, "sensitive"),
        ("grant", {"donor": "D", "amount": 1, "currency": "USD", "restriction": "flexible",
                   "period_start": "2025-02-01", "period_end": "2025-01-01"}, "period_end"),
        ("tranche", {"grant_id": "GR-1", "expected_date": "2025-01-01", "expected_amount": 1,
                     "received_date": "2025-01-01"}, "received_amount"),
        ("tranche", {"grant_id": "GR-1", "expected_date": "2025-01-01", "expected_amount": 1,
                     "received_date": "2025-01-01", "received_amount": 1, "cancelled": True},
         "cancelled"),
        ("household", {**HH, "retention_months": 12}, "consent_date"),
        ("project", {"name": "P", "sector": "wash", "location_pcode": "MMR003",
                     "start_date": "2025-02-01", "end_date": "2025-01-01"}, "end_date"),
        ("training", {**TRAINING, "end_date": "2024-12-31"}, "end_date"),
        ("activity", {"project_id": "PR-1", "date": "2025-01-01", "kind": "meeting",
                      "location_pcode": "MMR003", "participants": {"with_disability_female": 1}},
         "participants.with_disability_female"),
        ("training", {**TRAINING, "participants": {"with_disability_other": 1}},
         "participants.with_disability_other"),
    ]
    for family, data, field in rules:
        english = error(family, data, "en")
        assert f" field {field}: " in english
        line = error(family, data, "my")
        assert line.startswith(f"stdin line 2: {family} မှတ်တမ်း၊ ") and f"({field}): " in line
        what = line.split(f"({field}): ", 1)[1]
        assert re.search("[\u1000-\u109f]", what), line  # said in Burmese, not left English
        assert english.split(": ", 2)[2] not in line


def test_not_an_object_and_an_unknown_message():
    assert error("person", [1], "en") == "stdin line 2: a person must be a JSON object"
    assert error("person", [1], "my") == (
        "stdin line 2: person မှတ်တမ်းကို JSON object { … } အဖြစ် ရေးရပါမည်")
    # A message no pattern knows keeps msgspec's words inside the Burmese line.
    from fieldledger.records.base import _msgspec

    assert _msgspec("Invalid UUID", REGISTRY["person"], "x") == "Invalid UUID"


def test_the_error_names_its_field_for_importers():
    with language("my"), pytest.raises(ValidationError) as caught:
        convert(REGISTRY["household"], {**HH, "size": 0}, source="s")
    assert caught.value.field == "size"  # type: ignore[attr-defined]


# -- the catalogue ----------------------------------------------------------------------


def catalogue():
    with PO.open("rb") as fp:
        return read_po(fp)


def test_every_message_of_the_code_is_translated_and_none_is_left_over():
    extracted = set()
    for path in [*sorted((ROOT / "src/fieldledger/records").glob("*.py")),
                 ROOT / "src/fieldledger/i18n/__init__.py"]:
        for _line, msgid, _comments, context in extract_from_file("python", path, KEYWORDS):
            extracted.add((context, msgid))
    extracted |= {(ctx, name) for ctx in ("expected", "got") for name in TYPE_NAMES}
    # The web UI's words, the allowed values of record fields, the roles, and the tranche
    # statuses its grant page shows (tests/web/test_catalogue.py checks they are all there).
    extracted |= web_msgids() | {(None, role) for role in ROLES}
    extracted |= {("value", v) for v in record_values() if not v.isupper()}
    extracted |= {("value", v) for v in get_args(TrancheStatus)}
    entries = {}
    for m in catalogue():
        if not m.id:
            continue
        for part in m.id if isinstance(m.id, tuple) else (m.id,):  # plurals: each form
            entries[(m.context, part)] = m
    assert extracted - set(entries) == set(), "not in the catalogue"
    assert set(entries) - extracted == set(), "in the catalogue but not in the code"
    for key, message in entries.items():
        if isinstance(message.string, tuple):  # a plural: Burmese has one form
            assert all(message.string) and not message.fuzzy, key
            continue
        assert message.string and not message.fuzzy, key
        assert unicodedata.normalize("NFC", message.string) == message.string, key
        placeholders = set(re.findall(r"%\((\w+)\)s", message.id))
        assert set(re.findall(r"%\((\w+)\)s", message.string)) <= placeholders, key
        if key[1].startswith("%(source)s"):
            assert message.string.startswith("%(source)s: "), key  # importers cut it off


def test_every_field_pattern_is_said_in_words():
    patterns = set()

    def walk(info):
        if isinstance(info, msgspec.inspect.Metadata):
            walk(info.type)
        elif isinstance(info, msgspec.inspect.StructType):
            for f in info.fields:
                walk(f.type)
        elif isinstance(info, msgspec.inspect.UnionType):
            for t in info.types:
                walk(t)
        elif isinstance(info, msgspec.inspect.StrType) and info.pattern:
            patterns.add(info.pattern)

    for rtype in REGISTRY.values():
        walk(msgspec.inspect.type_info(rtype.struct))
    assert patterns == set(PATTERNS)


def test_the_catalogue_is_marked_for_review_by_field_teams():
    text = PO.read_text(encoding="utf-8")
    assert "NEEDS REVIEW BY THE FIELD TEAMS" in text
    assert catalogue().locale_identifier == "my"


def test_the_compiled_catalogue_is_up_to_date():
    script = runpy.run_path(str(SCRIPT), run_name="compile_catalogues")
    compiled = script["compile_catalogue"](PO)
    assert script["entries"](MO.read_bytes()) == script["entries"](compiled), (
        "run scripts/compile-catalogues")
    assert i18n.translations("my").gettext("or") == "သို့မဟုတ်"


def test_the_runtime_does_not_import_babel():
    code = (
        "import sys; from fieldledger.i18n import language; from fieldledger.records import *\n"
        "with language('my'):\n"
        "    try: convert(REGISTRY['household'], {}, source='s')\n"
        "    except Exception as exc: assert 'မှတ်တမ်း' in str(exc)\n"
        "assert not [m for m in sys.modules if m.startswith('babel')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- the command line -------------------------------------------------------------------


def test_cli_errors_in_burmese(cli):
    assert cli("init", "--insecure-fast-kdf").code == 0
    rows = [household("HH-1"), household("HH-2", size="lots")]
    result = cli("--lang", "my", "add", "household", "--json", "-",
                 input="\n".join(map(json.dumps, rows)))
    assert result.code == 2
    assert result.err == (
        "error: stdin line 2: household မှတ်တမ်း၊ အိမ်ထောင်စု ဝင်ဦးရေ (size): "
        "ကိန်းပြည့် (ဒသမမပါသော ဂဏန်း) ဖြစ်ရမည်၊ စာသား ဖြစ်နေသည်\n")
    dist = {**DIST, "household_id": None, "group": "camp B", "transfer_channel": "bank"}
    result = cli("add", "distribution", "--json", "-", input=json.dumps(dist),
                 env_extra={"FIELDLEDGER_LANG": "my"})
    assert result.code == 2
    assert result.err.startswith(
        "error: stdin: distribution မှတ်တမ်း၊ ငွေလွှဲ နည်းလမ်း (transfer_channel): ")
    result = cli("--lang", "my", "add", "household", "--json", "-",
                 input=json.dumps({**HH, "displacement_status": "away"}))
    assert "'away' ကို လက်မခံပါ" in result.err
    # English stays as it was, and the choice is for this command only.
    result = cli("add", "household", "--json", "-", input=json.dumps({**HH, "size": 0}))
    assert result.err == "error: stdin: household field size: Expected `int` >= 1\n"
    assert json.loads(cli("list", "household", "--format", "json").out) == []


def test_cli_refuses_an_unknown_language_in_one_line(cli):
    result = cli("--lang", "fr", "list", "household")
    assert result.code == 2
    assert result.err == "error: unknown language 'fr': use one of en, my\n"
    result = cli("list", "household", env_extra={"FIELDLEDGER_LANG": "english"})
    assert result.code == 2 and result.err.count("\n") == 1
