"""The providers the sandbox offers, shaped as the spec's `Provider` object."""

from __future__ import annotations

from typing import Any

# The record kinds, by their Open API path, and the datapoint name Smile uses for each.
KINDS = ("identities", "employments", "contributions", "incomes", "eincomes")
DATAPOINTS = {
    "identities": "IDENTITIES",
    "employments": "EMPLOYMENTS",
    "contributions": "CONTRIBUTIONS",
    "incomes": "INCOMES",
    "eincomes": "EINCOMES",
}
# The webhook each kind announces when records are added.
ADDED_EVENTS = {
    "identities": "IDENTITY_ADDED",
    "employments": "EMPLOYMENTS_ADDED",
    "contributions": "CONTRIBUTIONS_ADDED",
    "incomes": "INCOMES_ADDED",
    "eincomes": "EINCOMES_ADDED",
}

_LOGO = "https://cdn.smileapi.io/image/provider-logo/v20210813064500/{}.png"

_TYPES = {
    "GIG": "Gig Platform",
    "GOVERNMENT": "Govt Service",
    "EMPLOYER": "Employer",
}
_SUBTYPES = {
    "SERVICES": "Professional Services",
    "TRANSPORTATION": "Transport and Delivery",
    "INSURANCE": "Social Insurance",
    "IDENTIFICATION": "Identification",
}


def _provider(
    provider_id: str,
    name: str,
    long_name: str,
    type_: str,
    sub_type: str,
    kinds: tuple[str, ...],
    *,
    monitor: bool = False,
) -> dict[str, Any]:
    return {
        "id": provider_id,
        "name": name,
        "longName": long_name,
        "logoUrl": _LOGO.format(provider_id),
        "type": type_,
        "typeLabel": _TYPES[type_],
        "subType": sub_type,
        "subTypeLabel": _SUBTYPES[sub_type],
        "active": True,
        "enabled": True,
        "mfa": True,
        "accountConnection": True,
        "supported": [DATAPOINTS[kind] for kind in kinds],
        "monitorSupported": monitor,
    }


_GIG_KINDS = ("identities", "employments", "incomes")

PROVIDERS: dict[str, dict[str, Any]] = {
    provider["id"]: provider
    for provider in (
        _provider(
            "sss_ph",
            "Social Security System (SSS)",
            "Social Security System of the Philippines",
            "GOVERNMENT",
            "INSURANCE",
            ("identities", "employments", "contributions", "eincomes"),
            monitor=True,
        ),
        _provider("upwork", "Upwork", "Upwork Global Inc.", "GIG", "SERVICES", _GIG_KINDS),
        _provider(
            "freelancer",
            "Freelancer",
            "Freelancer Technology Pty Limited",
            "GIG",
            "SERVICES",
            _GIG_KINDS,
        ),
        _provider("grab", "Grab", "Grab Holdings Inc", "GIG", "TRANSPORTATION", _GIG_KINDS),
        _provider(
            "199jobs",
            "199Jobs",
            "199Jobs Philippines",
            "GIG",
            "SERVICES",
            ("identities", "employments"),
        ),
        _provider(
            "nbi_ph",
            "NBI Clearance",
            "National Bureau of Investigation (Philippines)",
            "GOVERNMENT",
            "IDENTIFICATION",
            ("identities",),
        ),
        _provider(
            "tin_ph",
            "BIR TIN",
            "Bureau of Internal Revenue Taxpayer Identification Number",
            "GOVERNMENT",
            "IDENTIFICATION",
            ("identities",),
        ),
        _provider(
            "prclicense_ph",
            "PRC License",
            "Professional Regulation Commission (Philippines)",
            "GOVERNMENT",
            "IDENTIFICATION",
            ("identities",),
        ),
    )
}


def supported_kinds(provider_id: str) -> tuple[str, ...]:
    """The record kinds a provider can hold, in the order Smile announces them."""
    datapoints = set(PROVIDERS[provider_id]["supported"])
    return tuple(kind for kind in KINDS if DATAPOINTS[kind] in datapoints)
