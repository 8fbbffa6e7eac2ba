"""Parsing is strict where a wrong value would mislead a reviewer, tolerant elsewhere."""

import datetime
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
