"""Burmese labels of the record fields, for messages, forms and reports.

Copied from the "Burmese label" column of docs/records.md (tests/records/test_labels.py
keeps the two equal), so the code never reads the docs. Like the docs' labels they need a
review by the field teams before forms use them.

    LABELS    record type -> field -> label
    COUNTS    the counts inside `participants` and each of an incident's `affected`
    AFFECTED  the kinds of people affected inside `affected`
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "household": {
        "code": "အိမ်ထောင်စု ကုဒ်",
        "location_pcode": "နေရာ P-code",
        "displacement_status": "နေရပ်စွန့်ခွာမှု အခြေအနေ",
        "displaced_on": "နေရပ်စွန့်ခွာခဲ့သည့် ရက်စွဲ",
        "shelter_type": "နေထိုင်ရာ အမျိုးအစား",
        "size": "အိမ်ထောင်စု ဝင်ဦးရေ",
        "consent_given": "သဘောတူညီချက် ပေးပြီး",
        "consent_purpose": "သဘောတူညီချက်၏ ရည်ရွယ်ချက်",
        "consent_date": "သဘောတူညီသည့် ရက်စွဲ",
        "retention_months": "သိမ်းဆည်းထားမည့် လအရေအတွက်",
    },
    "person": {
        "household_id": "အိမ်ထောင်စု အမှတ်",
        "sex": "ကျား/မ",
        "birth_year": "မွေးနှစ်",
        "age": "အသက်",
        "relationship": "အိမ်ထောင်ဦးစီးနှင့် တော်စပ်ပုံ",
        "disability": "မသန်စွမ်းမှု",
        "name": "အမည်",
        "phone": "ဖုန်းနံပါတ်",
        "id_number": "မှတ်ပုံတင် အမှတ်",
        "gps": "GPS တည်နေရာ",
    },
    "assessment": {
        "household_id": "အိမ်ထောင်စု အမှတ်",
        "date": "စစ်တမ်းကောက်သည့် ရက်စွဲ",
        "assessor_pseudonym": "စစ်တမ်းကောက်သူ၏ အမည်ဝှက်",
        "food_need": "စားနပ်ရိက္ခာ လိုအပ်ချက်",
        "shelter_need": "နေရာထိုင်ခင်း လိုအပ်ချက်",
        "health_need": "ကျန်းမာရေး လိုအပ်ချက်",
        "protection_need": "အကာအကွယ် လိုအပ်ချက်",
        "livelihoods_need": "အသက်မွေးဝမ်းကျောင်း လိုအပ်ချက်",
        "meals_per_day": "တစ်နေ့ စားသောက်သည့် နပ်အရေအတွက်",
        "income_lost": "ဝင်ငွေ ဆုံးရှုံးခဲ့",
        "chronic_illness": "နာတာရှည်ရောဂါရှိသူ ရှိ",
        "safe_water": "ဘေးကင်းသော သောက်ရေ ရရှိ",
        "children_out_of_school": "ကျောင်းမတက်ရသော ကလေးဦးရေ",
        "debt": "အကြွေးတင်",
    },
    "distribution": {
        "household_id": "အိမ်ထောင်စု အမှတ်",
        "group": "အုပ်စု",
        "modality": "ထောက်ပံ့ပုံ အမျိုးအစား",
        "item": "ပစ္စည်း",
        "quantity": "အရေအတွက်",
        "unit": "ယူနစ်",
        "value": "တန်ဖိုး",
        "currency": "ငွေကြေး",
        "transfer_channel": "ငွေလွှဲ နည်းလမ်း",
        "date": "ပေးအပ်သည့် ရက်စွဲ",
        "location_pcode": "နေရာ P-code",
        "project_id": "စီမံကိန်း အမှတ်",
        "grant_id": "ရန်ပုံငွေ အမှတ်",
    },
    "project": {
        "name": "စီမံကိန်း အမည်",
        "sector": "ကဏ္ဍ",
        "location_pcode": "နေရာ P-code",
        "start_date": "စတင်သည့် ရက်စွဲ",
        "end_date": "ပြီးဆုံးသည့် ရက်စွဲ",
        "status": "အခြေအနေ",
        "description": "ဖော်ပြချက်",
    },
    "activity": {
        "project_id": "စီမံကိန်း အမှတ်",
        "date": "ရက်စွဲ",
        "kind": "လုပ်ငန်း အမျိုးအစား",
        "location_pcode": "နေရာ P-code",
        "participants": "ပါဝင်သူများ",
        "description": "ဖော်ပြချက်",
    },
    "training": {
        "topic": "သင်တန်း ခေါင်းစဉ်",
        "title": "သင်တန်း အမည်",
        "start_date": "စတင်သည့် ရက်စွဲ",
        "end_date": "ပြီးဆုံးသည့် ရက်စွဲ",
        "facilitator_pseudonym": "သင်တန်းဆရာ၏ အမည်ဝှက်",
        "location_pcode": "နေရာ P-code",
        "participants": "ပါဝင်သူများ",
        "project_id": "စီမံကိန်း အမှတ်",
    },
    "incident": {
        "kind": "ဖြစ်စဉ် အမျိုးအစား",
        "date": "ဖြစ်ပွားသည့် ရက်စွဲ",
        "time": "အချိန်",
        "location_pcode": "နေရာ P-code",
        "gps": "GPS တည်နေရာ",
        "affected": "ထိခိုက်ခံရသူများ",
        "perpetrator": "ကျူးလွန်သူ အမျိုးအစား",
        "source_reliability": "သတင်းရင်းမြစ် ယုံကြည်စိတ်ချရမှု",
        "source_type": "သတင်းရင်းမြစ် အမျိုးအစား",
        "narrative": "ဖြစ်စဉ် အကြောင်းအရာ",
    },
    "evidence": {
        "incident_id": "ဖြစ်စဉ် အမှတ်",
        "kind": "အထောက်အထား အမျိုးအစား",
        "sha256": "SHA-256 တန်ဖိုး",
        "size": "ဖိုင် အရွယ်အစား",
        "media_type": "ဖိုင် အမျိုးအစား",
        "blob": "သိမ်းဆည်းထားသော ဖိုင် အမည်",
        "captured_on": "ရိုက်ကူး/မှတ်တမ်းတင်သည့် ရက်စွဲ",
        "witness_pseudonym": "မျက်မြင်သက်သေ၏ အမည်ဝှက်",
        "description": "ဖော်ပြချက်",
    },
    "custody": {
        "evidence_id": "အထောက်အထား အမှတ်",
        "action": "လုပ်ဆောင်ချက်",
        "recipient": "လက်ခံသူ",
        "note": "မှတ်ချက်",
    },
    "grant": {
        "donor": "အလှူရှင်",
        "donor_alias": "အလှူရှင်၏ အစားထိုးအမည်",
        "reference": "သဘောတူစာချုပ် အမှတ်",
        "amount": "ပမာဏ",
        "currency": "ငွေကြေး",
        "restriction": "သုံးစွဲမှု ကန့်သတ်ချက်",
        "period_start": "ကာလ စတင်ရက်",
        "period_end": "ကာလ ပြီးဆုံးရက်",
        "purpose": "ရည်ရွယ်ချက်",
    },
    "tranche": {
        "grant_id": "ရန်ပုံငွေ အမှတ်",
        "expected_date": "ရရန် မျှော်မှန်းသည့် ရက်စွဲ",
        "expected_amount": "ရရန် မျှော်မှန်းသည့် ပမာဏ",
        "received_date": "ရရှိသည့် ရက်စွဲ",
        "received_amount": "ရရှိသည့် ပမာဏ",
        "cancelled": "ဖျက်သိမ်းခံရ",
        "note": "မှတ်ချက်",
    },
    "expenditure": {
        "grant_id": "ရန်ပုံငွေ အမှတ်",
        "project_id": "စီမံကိန်း အမှတ်",
        "date": "သုံးစွဲသည့် ရက်စွဲ",
        "amount": "ပမာဏ",
        "currency": "ငွေကြေး",
        "category": "အသုံးစရိတ် အမျိုးအစား",
        "description": "ဖော်ပြချက်",
    },
    "feedback": {
        "channel": "ဆက်သွယ်သည့် နည်းလမ်း",
        "date": "ရက်စွဲ",
        "category": "အမျိုးအစား",
        "sensitive": "ထိလွယ်ရှလွယ်",
        "text": "တုံ့ပြန်ချက် စာသား",
        "location_pcode": "နေရာ P-code",
        "status": "အခြေအနေ",
    },
    "security-incident": {
        "kind": "ဖြစ်စဉ် အမျိုးအစား",
        "date": "ရက်စွဲ",
        "location_pcode": "နေရာ P-code",
        "severity": "ပြင်းထန်မှု",
        "description": "ဖော်ပြချက်",
    },
    "village": {
        "village_tract_pcode": "ကျေးရွာအုပ်စု P-code",
        "code": "ကျေးရွာ ကုဒ်",
        "name_en": "ကျေးရွာအမည် (အင်္ဂလိပ်)",
        "name_mm": "ကျေးရွာအမည် (မြန်မာ)",
    },
}
COUNTS: dict[str, str] = {
    "female_0_5": "အမျိုးသမီး အသက် ၀–၅",
    "female_6_17": "အမျိုးသမီး အသက် ၆–၁၇",
    "female_18_59": "အမျိုးသမီး အသက် ၁၈–၅၉",
    "female_60_plus": "အမျိုးသမီး အသက် ၆၀ နှင့်အထက်",
    "male_0_5": "အမျိုးသား အသက် ၀–၅",
    "male_6_17": "အမျိုးသား အသက် ၆–၁၇",
    "male_18_59": "အမျိုးသား အသက် ၁၈–၅၉",
    "male_60_plus": "အမျိုးသား အသက် ၆၀ နှင့်အထက်",
    "other_0_5": "အခြား အသက် ၀–၅",
    "other_6_17": "အခြား အသက် ၆–၁၇",
    "other_18_59": "အခြား အသက် ၁၈–၅၉",
    "other_60_plus": "အခြား အသက် ၆၀ နှင့်အထက်",
    "unknown": "ကျား/မ သို့မဟုတ် အသက် မသိ",
    "with_disability_female": "မသန်စွမ်း အမျိုးသမီး",
    "with_disability_male": "မသန်စွမ်း အမျိုးသား",
    "with_disability_other": "မသန်စွမ်း (အခြား)",
}
AFFECTED: dict[str, str] = {
    "killed": "သေဆုံး",
    "injured": "ဒဏ်ရာရ",
    "detained": "ဖမ်းဆီးထိန်းသိမ်းခံရ",
    "displaced": "နေရပ်စွန့်ခွာရ",
}


def label(record: str, path: str) -> str:
    """The field at `path` ("size", "participants.with_disability_male") named for a Burmese
    reader: its labels, then the path itself in parentheses so that scripts and English
    speakers still find it. A part with no label is named by the path alone."""
    parts = path.split(".")
    found = [LABELS.get(record, {}).get(parts[0])]
    found += [COUNTS.get(part) or AFFECTED.get(part) for part in parts[1:]]
    words = "၊ ".join(w for w in found if w)
    return f"{words} ({path})" if words else path
