"""The gazetteer: shipped MIMU places, lookups, name resolution and user-added villages."""

from __future__ import annotations

import collections
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldledger import places as places_module
from fieldledger.errors import ValidationError
from fieldledger.places import (
    LEVELS,
    Gazetteer,
    Place,
    gazetteer,
    normalise_name,
    places,
    village_code,
    village_tracts,
)

G = gazetteer()


def village(n: int = 1, name_en: str = "Ywa Thit Lay", name_mm: str = "ရွာသစ်လေး") -> Place:
    return Place(village_code("MMR002002001", n), "village", name_en, name_mm, "MMR002002001")


# --- what is shipped -------------------------------------------------------------------------


def test_every_mimu_place_is_shipped():
    counts = collections.Counter(p.level for p in G.places())
    assert counts == {"state_region": 18, "district": 84, "township": 358, "village_tract": 14047}
    assert sum(p.active for p in G.places("township")) == 330
    assert sum(p.active for p in G.places("village_tract")) == 13588


def test_every_parent_exists_one_level_up():
    for place in G.places():
        if place.level == "state_region":
            assert place.parent == ""
            continue
        up = G.get(place.parent)
        assert LEVELS.index(up.level) == LEVELS.index(place.level) - 1, place
        if place.level in ("township", "village_tract"):
            assert place.pcode.startswith(G.at_level(place, "state_region").pcode)


def test_names_are_shipped_in_nfc_without_zero_width_characters():
    for place in G.places():
        for name in (place.name_en, place.name_mm):
            assert name == unicodedata.normalize("NFC", name)
            assert "\u200b" not in name and "\u200c" not in name


def test_states_districts_and_townships_are_read_without_the_village_tracts(monkeypatch):
    fresh = places_module._Shipped()
    monkeypatch.setattr(places_module, "_SHIPPED", fresh)
    assert len(Gazetteer().places("township")) == 358
    assert "tracts" not in vars(fresh)


# --- lookups ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pcode", "level", "name_en", "parent"),
    [
        ("MMR002", "state_region", "Kayah", ""),
        ("MMR002D001", "district", "Loikaw", "MMR002"),
        ("MMR005S001", "district", "Naga Self-Administered Zone", "MMR005"),
        ("MMR002002", "township", "Demoso", "MMR002D001"),
        ("MMR002002001", "village_tract", "Sin Taung", "MMR002002"),
    ],
)
def test_get_at_every_level(pcode, level, name_en, parent):
    place = G.get(pcode)
    assert (place.level, place.name_en, place.parent) == (level, name_en, parent)
    assert G.get(pcode.lower()) == place
    assert pcode in G


def test_get_an_unknown_code_names_the_nearest():
    with pytest.raises(ValidationError, match=r"'MMR002099'.*nearest: MMR002001 Loikaw"):
        G.get("MMR002099")
    assert "MMR002099" not in G


def test_parent_ancestors_and_children():
    tract = G.get("MMR002002001")
    assert G.parent(tract).pcode == "MMR002002"
    assert G.parent("MMR002") is None
    assert [p.pcode for p in G.ancestors(tract)] == ["MMR002002", "MMR002D001", "MMR002"]
    assert G.ancestors("MMR002") == []
    assert [p.pcode for p in G.children("MMR002")] == ["MMR002D001", "MMR002D002"]
    tracts = G.children("MMR002002")
    assert tracts[0] == tract and all(p.parent == "MMR002002" for p in tracts)
    assert G.children(tract) == []
    assert G.within(tract, "MMR002") and not G.within(tract, "MMR003")


def test_generalise_a_village_tract_up_the_levels():
    tract = G.get("MMR002002001")
    assert G.at_level(tract, "village_tract") == tract
    assert G.at_level(tract, "township").name_en == "Demoso"
    assert G.at_level(tract, "district").pcode == "MMR002D001"
    assert G.at_level("MMR002002001", "state_region").name_en == "Kayah"
    # Never finer than asked: a state stays a state when reports group by township.
    assert G.at_level("MMR002", "township").pcode == "MMR002"
    with pytest.raises(ValidationError, match="unknown place level 'county'"):
        G.at_level(tract, "county")


def test_village_tracts_for_the_demo():
    every = village_tracts()
    assert len(every) == 13588 and all(p.active for p in every)
    assert len(village_tracts(active=False)) == 14047
    some = village_tracts(["MMR002", "MMR003"])
    assert some and {p.pcode[:6] for p in some} == {"MMR002", "MMR003"}
    assert all(G.get(p.parent).level == "township" for p in some)


def test_places_mapping_is_read_only():
    assert places()["MMR002002"].level == "township"
    with pytest.raises(TypeError):
        places()["MMR999"] = Place("MMR999", "state_region", "x", "x", "")  # type: ignore[index]


# --- resolution ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pcode"),
    [
        ("MMR002002", "MMR002002"),
        ("mmr 002 002", "MMR002002"),
        ("MMR၀၀၂၀၀၂", "MMR002002"),
        ("mmr၀၀၂d၀၀၁", "MMR002D001"),
        ("Demoso Township", "MMR002002"),
        ("demoso  township", "MMR002002"),
        ("ဒီးမော့ဆိုမြို့နယ်", "MMR002002"),
        ("Kayin State", "MMR003"),
        ("ကရင်ပြည်နယ်", "MMR003"),
        ("ရခိုင်", "MMR012"),
        ("Ayeyarwady Region", "MMR017"),
        ("ဧရာဝတီတိုင်းဒေသကြီး", "MMR017"),
        ("Loikaw District", "MMR002D001"),
        ("Hpa-An Township", "MMR003001"),
        ("HpaAn township", "MMR003001"),
        ("Naga", "MMR005S001"),
        ("Yangon", "MMR013"),
    ],
)
def test_resolve_codes_and_names(text, pcode):
    assert G.resolve(text).pcode == pcode


def test_resolve_a_level_narrows_the_names():
    with pytest.raises(ValidationError, match="names 2 places"):
        G.resolve("Demoso")
    assert G.resolve("Demoso", "township").pcode == "MMR002002"
    assert G.resolve("ဒီးမော့ဆို", "village_tract").pcode == "MMR002002011"
    with pytest.raises(ValidationError, match="MMR002 is a state/region, not a township"):
        G.resolve("MMR002", "township")


def test_resolve_a_myanmar_name_in_any_normalisation():
    # MIMU wrote some names with asat before the dot below; NFC puts the dot first.
    typed = "ဒေါင\u103a\u1037ကြီး"
    assert typed != unicodedata.normalize("NFC", typed)
    assert G.resolve(typed, within="MMR013").pcode == "MMR013006009"
    assert G.resolve(" ဒေါင့်\u200bကြီး ", within="MMR013").pcode == "MMR013006009"


def test_a_shared_name_is_ambiguous_until_narrowed():
    with pytest.raises(ValidationError) as caught:
        G.resolve("Nyaung Pin Thar")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("'Nyaung Pin Thar' names 27 places: MMR001001028 Nyaung Pin Thar")
    assert message.count("MMR") == 3 and "and 24 more" in message
    with pytest.raises(ValidationError, match="names 5 places"):
        G.resolve("Nyaung Pin Thar", within="Ayeyarwady Region")
    assert G.resolve("Nyaung Pin Thar", within="MMR017002").pcode == "MMR017002029"
    assert G.resolve("ညောင်ပင်သာ", within="Kangyidaunt Township").pcode == "MMR017002029"
    assert G.resolve("nyaungpinthar", within=G.get("MMR017002")).pcode == "MMR017002029"
    with pytest.raises(ValidationError, match="MMR017002029 is not in MMR002 Kayah"):
        G.resolve("MMR017002029", within="MMR002")


def test_a_typo_gets_the_nearest_names():
    with pytest.raises(ValidationError) as caught:
        G.resolve("Loikwa Township")
    message = str(caught.value)
    assert message.startswith("no place matches 'Loikwa Township'; nearest: ")
    assert "MMR002001 Loikaw (township)" in message
    assert message.count("MMR") <= 3
    with pytest.raises(ValidationError, match=r"nearest: .*MMR002002 ဒီးမော့ဆို \(township\)"):
        G.resolve("ဒီးမော်ဆိုမြို့နယ်")
    with pytest.raises(ValidationError, match=r"nearest: .*MMR016 Shan"):
        G.resolve("Shan State")


def test_resolve_rejects_empty_and_unknown():
    with pytest.raises(ValidationError, match="no place name or P-code given"):
        G.resolve(" - ")
    with pytest.raises(ValidationError, match="no place has the P-code 'MMR0020'"):
        G.resolve("MMR0020")
    with pytest.raises(ValidationError, match="unknown place level"):
        G.resolve("Demoso", "ward")


def test_normalise_name():
    assert normalise_name("Hpa-An  (East)") == "hpaaneast"
    assert normalise_name("အမှတ် ၁") == "အမှတ်1"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=24))
def test_resolve_any_text_gives_a_place_or_a_validation_error(text):
    try:
        place = G.resolve(text)
    except ValidationError as err:
        assert "\n" not in str(err)
    else:
        assert isinstance(place, Place)


# --- user-added villages ---------------------------------------------------------------------


def test_village_code():
    assert village_code("MMR002002001", 7) == "MMR002002001007"
    assert village_code("mmr ၀၀၂၀၀၂၀၀၁", 12) == "MMR002002001012"
    with pytest.raises(ValidationError, match="not a village tract P-code"):
        village_code("MMR002002", 1)
    with pytest.raises(ValidationError, match="outside 1-999"):
        village_code("MMR002002001", 1000)


def test_user_added_village():
    home = village()
    view = G.with_places([home])
    assert view.get("MMR002002001001") == home
    assert view.resolve("Ywa Thit Lay").pcode == home.pcode
    assert view.resolve("ရွာသစ်လေးကျေးရွာ").pcode == home.pcode
    assert view.resolve("mmr002002001001", "village") == home
    assert view.children("MMR002002001") == [home]
    assert [p.pcode for p in view.ancestors(home)] == [
        "MMR002002001", "MMR002002", "MMR002D001", "MMR002"]
    assert view.at_level(home, "township").name_en == "Demoso"
    assert view.places("village") == [home]
    # The shipped gazetteer does not change.
    assert home.pcode not in G and G.children("MMR002002001") == []
    # Views stack.
    both = view.with_places([village(2, "Hill Camp", "")])
    assert [p.name_en for p in both.children("MMR002002001")] == ["Ywa Thit Lay", "Hill Camp"]


@pytest.mark.parametrize(
    ("place", "problem"),
    [
        (Place("MMR002002001001", "village_tract", "x", "", "MMR002002"), "only villages"),
        (Place("MMR002002002001", "village", "x", "", "MMR002002001"), "3 digits"),
        (Place("MMR999999999001", "village", "x", "", "MMR999999999"), "no village tract"),
        (Place("MMR002002001001", "village", " ", "", "MMR002002001"), "needs a name"),
    ],
)
def test_a_bad_village_is_refused(place, problem):
    with pytest.raises(ValidationError, match=problem):
        G.with_places([place])


def test_a_village_added_twice_is_refused():
    with pytest.raises(ValidationError, match="added twice"):
        G.with_places([village()]).with_places([village(1, "Other")])
