"""Strict parsers for the single values in Smile's answers: ids, text, dates, amounts, currency.

Each returns the typed value or raises MalformedRecord saying which field and why; `fit` checks
that a value also fits the column it is stored in.
"""

from __future__ import annotations

import datetime
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models


class MalformedRecord(ValueError):
    """A value Smile sent does not mean what its field says."""


# Every pattern is used with fullmatch: `$` would accept a trailing newline ("con-1\n").
# ASCII only: `\d` alone also matches other scripts' digits, which int() then reads.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~:-]{0,199}", re.ASCII)
_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}-[0-9a-fA-F]{32}", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)

# ISO 4217, pinned here because neither Django nor a pinned dependency carries the list: the
# active codes (list one, 2025) and the codes withdrawn since 2008, because records reach back
# years (a 2010 contribution in EEK is real). Smile's spec enumerates a subset of these. Left
# out on purpose: precious metals, SDR-like units and XTS/XXX, which no wage, contribution or
# income is paid in. Review this list when ISO publishes an amendment.
_ISO_4217_ACTIVE = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP
    STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED
    VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
_ISO_4217_WITHDRAWN_SINCE_2008 = "BYR CUC CYP EEK HRK LTL LVL MRO MTL SKK STD VEF ZMK ZWL"
ISO_4217 = frozenset(_ISO_4217_ACTIVE.split() + _ISO_4217_WITHDRAWN_SINCE_2008.split())

# Columns whose text may be cut to fit: free text a person reads, where an ellipsis shows the
# cut and `raw` keeps the whole value. Every other column (ids, codes such as a currency or a
# country, numbers such as an SS or employee number) is refused instead: a shortened code or
# id would look like a different, valid one ("AUT" cut to "AU" is another country).
TRUNCATABLE = frozenset(
    {
        "full_name",
        "first_name",
        "middle_name",
        "last_name",
        "suffix",
        "gender",
        "marital_status",
        "citizenship",
        "employer",
        "name",
        "job_title",
        "department",
        "status",
        "work_item",
        "payment_method",
        "frequency",
    }
)


# Account ids carry this prefix (smile-api.md); record kinds have theirs in smile_records.
ACCOUNT_PREFIX = "a-"


def smile_id(value: Any, what: str = "id") -> str:
    """Any Smile id, by its shape only (provider ids such as `sss_ph` have no prefix)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise MalformedRecord(f"{what} {value!r:.80} is not a Smile id")
    return value


def account_id(value: Any, what: str = "account id") -> str:
    if not smile_id(value, what).startswith(ACCOUNT_PREFIX):
        raise MalformedRecord(f"{what} {value!r:.80} is not an account id ({ACCOUNT_PREFIX}…)")
    return value


def user_id(value: Any, what: str = "user id") -> str:
    if not isinstance(value, str) or not _USER_ID.fullmatch(value):
        raise MalformedRecord(f"{what} {value!r:.80} is not a user id (<tenant>-<32 hex digits>)")
    return value


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    # A number where text was expected (an employee number, say) still reads the same.
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise MalformedRecord(f"{value!r:.60} is not text")


def date(value: Any, what: str, *, required: bool = True) -> datetime.date | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise MalformedRecord(f"{what} {value!r} is not a date (YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise MalformedRecord(f"{what} {value!r} is not a real date") from None


def month(value: Any, what: str = "month") -> datetime.date:
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match[2]) <= 12:
        raise MalformedRecord(f"{what} {value!r} is not a month (YYYY-MM)")
    return datetime.date(int(match[1]), int(match[2]), 1)


def instant(value: Any, what: str, *, required: bool = False) -> datetime.datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise MalformedRecord(f"{what} {value!r} is not a date and time")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise MalformedRecord(f"{what} {value!r} is not a date and time") from None
    if parsed.tzinfo is None:
        # Smile documents every instant as UTC; a bare one is read as such.
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def amount(value: Any, what: str, *, required: bool = True) -> Decimal | None:
    if value is None and not required:
        return None
    # Bodies are parsed with Decimal for floats, so 7820.25 arrives exact.
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise MalformedRecord(f"{what} {value!r} is not an amount")
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise MalformedRecord(f"{what} {value!r:.40} is not an amount") from None
    if not parsed.is_finite():
        raise MalformedRecord(f"{what} {value!r:.40} is not an amount in cents")
    try:
        in_cents = parsed == parsed.quantize(Decimal("0.01"))
    except InvalidOperation:
        # More digits than Decimal's context holds (1e30): far beyond any column anyway.
        raise MalformedRecord(f"{what} {value!r:.40} is too large to be an amount") from None
    if not in_cents:
        raise MalformedRecord(f"{what} {value!r:.40} is not an amount in cents")
    return parsed


def currency(value: Any, what: str = "currency") -> str:
    if not isinstance(value, str) or value not in ISO_4217:
        raise MalformedRecord(f"{what} {value!r:.40} is not an ISO 4217 currency code")
    return value


def fit(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """`values` (keyed by the model's field names) as the model's columns can hold them.

    Free text longer than its column is cut with an ellipsis (TRUNCATABLE); any other text, or
    an amount with more digits than its column, raises MalformedRecord. Keys that are not
    fields of the model pass through.
    """
    fitted = dict(values)
    for name, value in values.items():
        try:
            column = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        limit = getattr(column, "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            if name not in TRUNCATABLE:
                raise MalformedRecord(
                    f"{name} {value!r:.60} is longer than the {limit} characters it may have"
                )
            fitted[name] = value[: limit - 1] + "…"
        elif isinstance(value, Decimal) and isinstance(column, models.DecimalField):
            whole_digits = column.max_digits - column.decimal_places
            if abs(value) >= 10**whole_digits:
                raise MalformedRecord(
                    f"{name} {value} is too large: at most {whole_digits} digits before the "
                    "decimal point are stored"
                )
    return fitted


def items(value: Any, what: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedRecord(f"{what} is not a list of objects")
    return value


def plain_json(value: Any) -> Any:
    """The same JSON value with Decimals as floats, as JSONField stores and returns it.

    Bodies are parsed with Decimal so amounts are exact in the typed columns; `raw` keeps the
    JSON value itself (a number stays a number), which floats represent for storage.
    What PostgreSQL's jsonb cannot hold is refused, in any field, known or not: a number beyond
    a float (it would become Infinity) and text with a NUL character.
    """
    if isinstance(value, Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise MalformedRecord(f"the number {value:.6} is too large to store")
        return number
    if isinstance(value, str) and "\x00" in value:
        raise MalformedRecord(f"the text {value!r:.40} has a NUL character, which cannot be stored")
    if isinstance(value, dict):
        return {plain_json(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_json(item) for item in value]
    return value
