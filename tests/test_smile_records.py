"""Parsing is strict where a wrong value would mislead a reviewer, tolerant elsewhere."""

import datetime
import json
from decimal import Decimal

import pytest

from verifications.smile_records import Kind, MalformedRecord, parse_record

META = {
    "createdAt": "2021-04-14T09:30:24Z",
    "itemCreatedAt": "2021-04-14T09:30:24Z",
    "sourceId": "a-17bbf36498de4d68a0d4f86c7b62f69f",
    "sourceType": "ACCOUNT",
    "userId": "tenant-5c1a2e8678e3494eba303ad1afa54ee8",
    "providerId": "sss_ph",
}


def contribution(**fields):
    return {
        "id": "con-1",
        "date": "2021-04-30",
        "currency": "PHP",
        "amount": 1375,
        "metadata": META,
        **fields,
    }


def test_the_seed_contribution_parses_exactly():
    record = parse_record(
        Kind.CONTRIBUTIONS, contribution(amount=Decimal("1375.50"), referenceId=None)
    )
    assert (record.date, record.amount, record.currency) == (
        datetime.date(2021, 4, 30),
        Decimal("1375.50"),
        "PHP",
    )
    assert record.reference_id == ""
    assert record.source_id == META["sourceId"]
    assert record.smile_created_at == datetime.datetime(2021, 4, 14, 9, 30, 24, tzinfo=datetime.UTC)


def test_fields_smile_adds_later_are_kept_in_raw_only():
    record = parse_record(Kind.CONTRIBUTIONS, contribution(newField={"x": 1}))
    assert record.raw["newField"] == {"x": 1}
    assert "newField" not in record.model_fields()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"amount": "abc"}, "amount 'abc' is not an amount"),
        ({"amount": True}, "is not an amount"),
        ({"amount": Decimal("12.345")}, "not an amount in cents"),
        ({"amount": None}, "is not an amount"),
        ({"date": "2021-13-45"}, "is not a real date"),
        ({"date": "30/04/2021"}, "is not a date (YYYY-MM-DD)"),
        ({"currency": "peso"}, "not an ISO 4217 currency code"),
        ({"id": ""}, "is not a Smile id"),
        ({"id": "con 1"}, "is not a Smile id"),
        ({"metadata": None}, "metadata is missing"),
    ],
)
def test_a_misleading_value_is_refused_with_the_record_and_field_named(change, complaint):
    with pytest.raises(MalformedRecord) as error:
        parse_record(Kind.CONTRIBUTIONS, contribution(**change))
    assert complaint in str(error.value)
    assert str(error.value).startswith("contributions record")


def test_an_employment_ending_before_it_starts_is_refused():
    raw = {"id": "e-1", "startDate": "2020-01-01", "endDate": "2019-01-01", "metadata": META}
    with pytest.raises(MalformedRecord, match="endDate 2019-01-01 is before startDate 2020-01-01"):
        parse_record(Kind.EMPLOYMENTS, raw)


def test_optional_text_may_be_null_even_where_the_spec_says_string():
    raw = {
        "id": "e-2",
        "startDate": "2016-02-24",
        "endDate": None,
        "employer": None,
        "jobTitle": None,
        "metadata": META,
    }
    record = parse_record(Kind.EMPLOYMENTS, raw)
    assert (record.employer, record.job_title, record.end_date) == ("", "", None)


def test_estimated_income_reads_the_older_base_amount_too():
    raw = {
        "id": "einc-1",
        "month": "2021-06",
        "currency": "PHP",
        "baseAmount": 1000,
        "amount": None,
        "metadata": META,
    }
    record = parse_record(Kind.EINCOMES, raw)
    assert (record.month, record.amount) == (datetime.date(2021, 6, 1), Decimal(1000))
    with pytest.raises(MalformedRecord, match="is not a month"):
        parse_record(Kind.EINCOMES, {**raw, "month": "2021-13"})


# --- Values no column can hold, or that only look right ------------------------------------


@pytest.mark.parametrize(
    "amount",
    [10**20, 10**30, Decimal("1E+30"), "1e30", Decimal(10**16), Decimal("-1E+16")],
    ids=["1e20", "int-1e30", "decimal-1e30", "text-1e30", "1e16", "minus-1e16"],
)
def test_an_amount_too_large_for_its_column_is_refused_readably(amount):
    with pytest.raises(MalformedRecord, match="too large") as error:
        parse_record(Kind.CONTRIBUTIONS, contribution(amount=amount))
    assert str(error.value).startswith("contributions record con-1: amount")


def test_the_largest_amount_a_column_holds_still_parses():
    # DecimalField(max_digits=18, decimal_places=2): sixteen digits before the point.
    largest = Decimal("9999999999999999.99")
    assert parse_record(Kind.CONTRIBUTIONS, contribution(amount=largest)).amount == largest
    assert parse_record(Kind.CONTRIBUTIONS, contribution(amount=-largest)).amount == -largest


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (Kind.INCOMES, {"id": "inc-1", "startDate": "2024-01-01", "currency": "PHP"}),
        (Kind.EINCOMES, {"id": "einc-1", "month": "2024-01", "currency": "PHP"}),
    ],
)
def test_every_amount_of_every_kind_is_bounded(kind, raw):
    field = "grossAmount" if kind == Kind.INCOMES else "amount"
    with pytest.raises(MalformedRecord, match="too large"):
        parse_record(kind, {**raw, field: 10**20, "metadata": META})


EMPLOYMENT = {"id": "e-1", "startDate": "2016-02-24", "metadata": META}


def test_free_text_longer_than_its_column_is_cut_visibly_and_kept_whole_in_raw():
    title = "Senior " * 50  # 350 characters; the column holds 300
    record = parse_record(Kind.EMPLOYMENTS, {**EMPLOYMENT, "jobTitle": title})
    assert len(record.job_title) == 300 and record.job_title.endswith("…")
    assert title.strip().startswith(record.job_title[:-1])
    assert record.raw["jobTitle"] == title


@pytest.mark.parametrize(
    ("kind", "raw", "field"),
    [
        (Kind.EMPLOYMENTS, {**EMPLOYMENT, "employeeNumber": "7" * 101}, "employee_number"),
        (Kind.CONTRIBUTIONS, contribution(referenceId="PR" * 101), "reference_id"),
        (
            Kind.CONTRIBUTIONS,
            contribution(metadata={**META, "providerId": "p" * 101}),
            "provider_id",
        ),
        (
            Kind.CONTRIBUTIONS,
            contribution(metadata={**META, "sourceType": "A" * 21}),
            "source_type",
        ),
        (
            Kind.IDENTITIES,
            {"id": "i-1", "fullName": "George", "countryResidence": "AUT", "metadata": META},
            "country_residence",
        ),
    ],
)
def test_an_id_or_code_longer_than_its_column_is_refused_not_cut(kind, raw, field):
    with pytest.raises(MalformedRecord, match=f"{field} .* is longer than the"):
        parse_record(kind, raw)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"id": "con-1\n"}, "is not a Smile id"),
        ({"id": "e-17bbf36498de4d68a0d4f86c7b62f69f"}, "is not a contributions id (con-…)"),
        ({"id": "a-17bbf36498de4d68a0d4f86c7b62f69f"}, "is not a contributions id (con-…)"),
        ({"id": "12345"}, "is not a contributions id (con-…)"),
        ({"currency": "PHP\n"}, "not an ISO 4217 currency code"),
        ({"currency": "php"}, "not an ISO 4217 currency code"),
        ({"currency": "XYZ"}, "not an ISO 4217 currency code"),
        ({"currency": "XXX"}, "not an ISO 4217 currency code"),
        ({"date": "2021-04-30\n"}, "is not a date (YYYY-MM-DD)"),
        ({"date": "٢٠٢١-٠٤-٣٠"}, "is not a date (YYYY-MM-DD)"),
        ({"referenceId": "PR\x001234"}, "NUL character"),
        ({"newField": Decimal("1e400")}, "too large to store"),
    ],
)
def test_values_that_only_look_right_are_refused(change, complaint):
    with pytest.raises(MalformedRecord) as error:
        parse_record(Kind.CONTRIBUTIONS, contribution(**change))
    assert complaint in str(error.value)


def test_a_month_with_a_trailing_newline_is_refused():
    raw = {"id": "einc-1", "month": "2021-06\n", "currency": "PHP", "metadata": META}
    with pytest.raises(MalformedRecord, match="is not a month"):
        parse_record(Kind.EINCOMES, raw)


@pytest.mark.parametrize(
    ("kind", "smile_id"),
    [
        (Kind.IDENTITIES, "i-24bbf36498ac4d26a0d4f86c7b62f83z"),
        (Kind.EMPLOYMENTS, "e-17bbf36498de4d68a0d4f86c7b62f69f"),
        (Kind.CONTRIBUTIONS, "con-17bbf36498de4d68a0d4f86c7b62f69f"),
        (Kind.CONTRIBUTIONS, "17bbf36498de4d68a0d4f86c7b62f69f"),  # the seed's placeholder
        (Kind.INCOMES, "inc-18adf56798de4d68a9f3g34c7b62f32e"),
        (Kind.EINCOMES, "einc-a-123abc456def789abc123def456abc78"),
    ],
)
def test_ids_with_their_kinds_prefix_or_the_seeds_placeholder_parse(kind, smile_id):
    raw = {
        Kind.IDENTITIES: {"fullName": "George"},
        Kind.EMPLOYMENTS: {"startDate": "2016-02-24"},
        Kind.CONTRIBUTIONS: {"date": "2021-04-30", "currency": "PHP", "amount": 1},
        Kind.INCOMES: {"startDate": "2016-02-24", "currency": "PHP"},
        Kind.EINCOMES: {"month": "2021-06", "currency": "PHP"},
    }[kind]
    assert parse_record(kind, {"id": smile_id, **raw, "metadata": META}).smile_id == smile_id


def test_codes_withdrawn_in_the_years_records_reach_back_to_are_currencies():
    # Estonia paid in kroons until 2011; a contribution of 2010 really is in EEK.
    assert parse_record(Kind.CONTRIBUTIONS, contribution(currency="EEK")).currency == "EEK"


# --- Smile's own examples and enumerations ---------------------------------------------------


@pytest.fixture(scope="module")
def spec():
    import yaml

    from tests.sandbox.sandbox_support import spec_path

    path = spec_path()
    if path is None:
        pytest.skip("Smile's OpenAPI spec not found (set SMILE_OPENAPI_SPEC)")
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("kind", list(Kind))
def test_every_example_record_in_smiles_spec_parses(spec, kind):
    examples = spec["paths"][kind.path]["get"]["responses"]["200"]["content"]["application/json"]
    items = [
        item
        for example in examples["examples"].values()
        for item in example["value"]["data"]["items"]
    ]
    assert items
    for item in items:
        # As it comes over the wire: JSON, its decimals read as Decimal (YAML made them floats).
        wire = json.loads(json.dumps(item), parse_float=Decimal)
        assert parse_record(kind, wire).smile_id == item["id"]


def test_every_currency_smiles_spec_enumerates_is_accepted(spec):
    codes = spec["components"]["schemas"]["RefCurrency"]["enum"]
    assert len(codes) > 100
    for code in codes:
        assert parse_record(Kind.CONTRIBUTIONS, contribution(currency=code)).currency == code
