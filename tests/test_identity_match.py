"""Stated identity against Smile's, field by field: match, partial, mismatch or missing."""

import datetime
from types import SimpleNamespace

import pytest

from verifications.identity_match import (
    Verdict,
    compare_addresses,
    compare_dates,
    compare_emails,
    compare_identity,
    compare_names,
    compare_phones,
)

GEORGE_AT_SMILE = SimpleNamespace(
    full_name="George Cimafranca Palomero, Jr",
    first_name="George",
    middle_name="Cimafranca",
    last_name="Palomero",
    suffix="Jr",
    dob=datetime.date(1970, 8, 24),
    emails=[{"address": "gpalomero1234@yahoo.com", "type": "Primary"}],
    phones=[{"number": "+639175551234", "type": "Mobile"}],
    addresses=[
        {
            "fullAddress": "12 Maybunga St, Barangay Paraiso, Pasig City, NCR, 1600, PH",
            "country": "PH",
        }
    ],
    provider_id="sss_ph",
)


def stated(**fields):
    defaults = {
        "first_name": "George",
        "middle_name": "",
        "last_name": "Palomero",
        "suffix": "",
        "date_of_birth": datetime.date(1970, 8, 24),
        "address": "12 Maybunga St, Barangay Paraiso, Pasig City, NCR 1600",
        "email": "gpalomero1234@yahoo.com",
        "phone": "+639175551234",
    }
    return SimpleNamespace(**{**defaults, **fields})


def verdicts(applicant, identities=(GEORGE_AT_SMILE,)):
    return {row.field: row.verdict for row in compare_identity(applicant, list(identities))}


def test_the_seed_george_matches_a_stated_george_palomero_as_partial():
    assert verdicts(stated())["name"] == Verdict.PARTIAL


def test_george_with_every_field_as_smile_has_it():
    found = verdicts(stated(middle_name="Cimafranca", suffix="Jr."))
    assert found == {
        "name": Verdict.MATCH,
        "date_of_birth": Verdict.MATCH,
        "address": Verdict.MATCH,
        "email": Verdict.MATCH,
        "phone": Verdict.MATCH,
    }


@pytest.mark.parametrize(
    ("stated_name", "stated_suffix", "smile", "expected"),
    [
        ("GEORGE PALOMERO", "", "George Palomero", Verdict.MATCH),
        ("José Peñaflor", "", "Jose Penaflor", Verdict.MATCH),
        ("Maria dela Cruz Santos", "", "Maria Santos", Verdict.PARTIAL),
        ("George Palomero", "Sr", "George Cimafranca Palomero, Jr", Verdict.MISMATCH),
        ("George Palomero", "Junior", "George Palomero Jr", Verdict.MATCH),
        ("Ryan Lestari", "", "Ryan Joseph Peterson Chua Ng", Verdict.MISMATCH),
        ("Christina Tan", "", "", Verdict.MISSING),
        # "Ma." (and "Ma") is how Philippine forms abbreviate María.
        ("Ma. Luisa Reyes", "", "Maria Luisa Reyes", Verdict.MATCH),
        ("Ma Luisa Reyes", "", "María Luisa Reyes", Verdict.MATCH),
        ("Ma Luisa Reyes", "", "Maria Luisa Santos Reyes", Verdict.PARTIAL),
        ("Ying Ma", "", "Ying Maria", Verdict.MISMATCH),  # Ma, the surname, stays Ma
        ("Rosa Sta. Maria", "", "Rosa Santa Maria", Verdict.MATCH),
        ("Juan De La Cruz", "", "Juan Dela Cruz", Verdict.MATCH),
        # A middle initial is not the suffix "V".
        ("George V. Palomero", "", "George Cimafranca Palomero, Jr", Verdict.PARTIAL),
        ("George V Palomero", "", "George V. Palomero", Verdict.MATCH),
        ("Palomero, George V.", "", "George V Palomero", Verdict.MATCH),
        ("George Palomero V", "", "George Palomero, Jr", Verdict.MISMATCH),
        ("George Palomero, V", "", "George Palomero V", Verdict.MATCH),
        ("George Palomero III", "", "George Palomero 3rd", Verdict.MATCH),
        # A suffix on one side only: perhaps the father, perhaps the son.
        ("George Palomero", "Jr", "George Palomero", Verdict.PARTIAL),
        ("George Palomero", "", "George Palomero Jr.", Verdict.PARTIAL),
        # One word can only vouch as the other side's last name.
        ("Maria Santos", "", "Santos", Verdict.PARTIAL),
        ("Maria Santos", "", "Maria", Verdict.MISMATCH),
        ("Maria Santos", "", "Reyes", Verdict.MISMATCH),
    ],
)
def test_names_are_normalised_before_comparing(stated_name, stated_suffix, smile, expected):
    assert compare_names(stated_name, stated_suffix, smile) == expected


def test_a_suffix_field_counts_like_one_written_in_the_name():
    assert compare_names("George Palomero", "", "George Palomero", "Jr") == Verdict.PARTIAL
    assert compare_names("George Palomero", "III", "George Palomero", "3rd") == Verdict.MATCH
    assert compare_names("George Palomero", "V", "George Palomero", "Jr") == Verdict.MISMATCH


def test_dates_of_birth():
    d = datetime.date
    assert compare_dates(d(1970, 8, 24), d(1970, 8, 24)) == Verdict.MATCH
    assert compare_dates(d(1970, 8, 4), d(1970, 4, 8)) == Verdict.PARTIAL
    assert compare_dates(d(1970, 8, 24), d(1971, 8, 24)) == Verdict.MISMATCH
    assert compare_dates(None, d(1970, 8, 24)) == Verdict.MISSING


def test_phones_in_national_or_international_form():
    assert compare_phones("+639175551234", ["+63 917 555 1234"]) == Verdict.MATCH
    assert compare_phones("09175551234", ["+639175551234"]) == Verdict.PARTIAL
    assert compare_phones("+639170000000", ["+639175551234"]) == Verdict.MISMATCH
    assert compare_phones("", ["+639175551234"]) == Verdict.MISSING


def test_emails_ignore_case_only():
    assert compare_emails("GPalomero1234@Yahoo.com", ["gpalomero1234@yahoo.com"]) == Verdict.MATCH
    assert compare_emails("george@example.com", ["gpalomero1234@yahoo.com"]) == Verdict.MISMATCH
    assert compare_emails("george@example.com", []) == Verdict.MISSING


def test_addresses_by_shared_words():
    smile = ["12 Maybunga St, Barangay Paraiso, Pasig City, NCR, 1600, PH"]
    assert (
        compare_addresses("12 Maybunga St., Brgy Paraiso, Pasig City 1600", smile)
        == Verdict.PARTIAL
    )
    assert compare_addresses("24 Eagle St, Binondo, Manila", smile) == Verdict.MISMATCH
    assert compare_addresses("", smile) == Verdict.MISSING


def test_the_best_of_several_identities_counts_and_names_its_source():
    other = SimpleNamespace(**{**vars(GEORGE_AT_SMILE), "dob": None, "provider_id": "upwork"})
    rows = {row.field: row for row in compare_identity(stated(), [other, GEORGE_AT_SMILE])}
    assert rows["date_of_birth"].verdict == Verdict.MATCH
    assert rows["date_of_birth"].source == "sss_ph"


def test_an_account_that_contradicts_the_others_is_named_as_a_conflict():
    borrowed = SimpleNamespace(
        **{
            **vars(GEORGE_AT_SMILE),
            "full_name": "Ramon Reyes",
            "dob": datetime.date(1985, 1, 9),
            "emails": [{"address": "ramon@example.com"}],
            "provider_id": "upwork",
        }
    )
    rows = {row.field: row for row in compare_identity(stated(), [GEORGE_AT_SMILE, borrowed])}
    assert (rows["date_of_birth"].verdict, rows["date_of_birth"].source) == (
        Verdict.MATCH,
        "sss_ph",
    )
    assert rows["date_of_birth"].conflicts == (("upwork", "1985-01-09"),)
    assert rows["name"].conflicts == (("upwork", "Ramon Reyes"),)
    # Every field may conflict; one that no account confirms is a plain mismatch instead.
    assert rows["email"].conflicts == (("upwork", "ramon@example.com"),)
    assert rows["phone"].conflicts == ()
    wrong_dob = compare_identity(stated(date_of_birth=datetime.date(1999, 1, 1)), [borrowed])
    assert [(row.verdict, row.conflicts) for row in wrong_dob if row.field == "date_of_birth"] == [
        (Verdict.MISMATCH, ())
    ]


def test_an_account_without_the_field_is_no_conflict():
    other = SimpleNamespace(**{**vars(GEORGE_AT_SMILE), "dob": None, "provider_id": "upwork"})
    rows = {row.field: row for row in compare_identity(stated(), [GEORGE_AT_SMILE, other])}
    assert rows["date_of_birth"].conflicts == ()


def test_no_identity_yet_means_every_field_is_missing():
    assert set(verdicts(stated(), identities=())) == {
        "name",
        "date_of_birth",
        "address",
        "email",
        "phone",
    }
    assert set(verdicts(stated(), identities=()).values()) == {Verdict.MISSING}
