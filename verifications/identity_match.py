"""What the applicant stated against what Smile returned, field by field.

Each field gets a verdict a reviewer can act on: *match*, *partial* (the same person written
differently: a middle name left out, a phone in national form), *mismatch* (a different
value), or *missing* (one side has nothing). Names are compared after normalising case,
accents, punctuation, common abbreviations ("Ma." for María) and generational suffixes
("Jr"), so the sandbox's "George Cimafranca Palomero, Jr" against a stated
"George Palomero" is partial, not mismatch. The rules for names are on `compare_names`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    MATCH = "match"
    PARTIAL = "partial"
    MISMATCH = "mismatch"
    MISSING = "missing"


# Best first: across several identities (one per linked account) the best one counts.
_RANK = {Verdict.MATCH: 0, Verdict.PARTIAL: 1, Verdict.MISMATCH: 2, Verdict.MISSING: 3}

# Generational suffixes. "Jr"/"Sr" are never given names, wherever they stand; roman numerals
# only at the end of a name (see `_is_numeral_suffix`), since a lone "V" is also an initial.
WORD_SUFFIXES = {"jr", "sr"}
NUMERAL_SUFFIXES = {"ii", "iii", "iv", "v"}
_SUFFIX_ALIASES = {"junior": "jr", "senior": "sr", "2nd": "ii", "3rd": "iii", "4th": "iv"}
# Abbreviations written on Philippine forms and IDs, read as the word they stand for.
# "Ma." is María (Ma. Luisa); "Sta."/"Sto." start surnames (Sta. Maria, Sto. Tomas).
_NAME_ALIASES = {"ma": "maria", "sta": "santa", "sto": "santo"}
# Surname particles written together or apart: "De la Cruz", "Dela Cruz", "De Los Santos".
_PARTICLES = {("de", "la"): "dela", ("de", "los"): "delos", ("de", "las"): "delas"}


@dataclass(frozen=True)
class FieldComparison:
    field: str
    label: str
    stated: str
    smile: str
    verdict: Verdict
    source: str  # provider of the Smile value shown
    # Other linked accounts whose value contradicts the stated one although `source` agrees:
    # (provider, value). One account that is someone else's is how a borrowed login shows.
    conflicts: tuple[tuple[str, str], ...] = ()

    @property
    def is_problem(self) -> bool:
        return self.verdict == Verdict.MISMATCH


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def plain(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: 'Peñalosa-Cruz, Jr.' → 'penalosa cruz jr'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", _fold(text)).split())


def _is_numeral_suffix(token: str, dotted: bool, before: int, after_comma: bool) -> bool:
    """A roman numeral ends the name: "George Palomero III", "Palomero, George, V".

    "V" alone is also a middle initial ("George V. Palomero", "Palomero, George V."), so it
    is a suffix only without a dot and either after its own comma or after two name words.
    """
    if token not in NUMERAL_SUFFIXES:
        return False
    if len(token) > 1:
        return before >= 1
    return not dotted and (after_comma or before >= 2)


def name_parts(text: str, suffix: str = "") -> tuple[list[str], str]:
    """Name words without a generational suffix, and the suffix found ('' if none).

    `suffix` is a separate suffix field (the applicant's, or Smile's), which wins.
    """
    found = _SUFFIX_ALIASES.get(plain(suffix), plain(suffix))
    words: list[tuple[str, bool, int]] = []  # (word, followed by a dot, comma segment)
    for segment, part in enumerate(_fold(text).split(",")):
        for match in re.finditer(r"([0-9a-z]+)(\.?)", re.sub(r"[^0-9a-z.]+", " ", part)):
            words.append((match.group(1), bool(match.group(2)), segment))
    tokens: list[str] = []
    for index, (word, dotted, segment) in enumerate(words):
        word = _SUFFIX_ALIASES.get(word, word)
        last = index == len(words) - 1
        alone_after_comma = segment > 0 and all(s != segment for _, _, s in words[:index])
        if word in WORD_SUFFIXES or (
            last and _is_numeral_suffix(word, dotted, len(tokens), alone_after_comma)
        ):
            found = found or word
            continue
        tokens.append(word)
    # "Ma" is a surname too (Ma Ying-jeou): the alias applies to given names, not the last word.
    tokens = [_NAME_ALIASES.get(t, t) if i < len(tokens) - 1 else t for i, t in enumerate(tokens)]
    return _join_particles(tokens), found


def _join_particles(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    for token in tokens:
        if joined and (joined[-1], token) in _PARTICLES:
            joined[-1] = _PARTICLES[(joined[-1], token)]
        else:
            joined.append(token)
    return joined


def compare_names(stated: str, stated_suffix: str, smile: str, smile_suffix: str = "") -> Verdict:
    """Names as a reviewer would read them.

    - Same words in any order, same suffix: match.
    - First and last name agree and the rest is only on one side (a middle name or initial
      left out), or only one side carries a suffix ("Jr" left off a form): partial. A
      suffix on one side only may be the father or the son, so it is never a full match.
    - A one-word name (a provider that keeps only a surname, or a mononym) is partial when it
      is the other side's last name, else mismatch: a given name alone ("Maria") matches
      half the country and cannot vouch for anyone.
    - Different suffixes ("Jr" and "Sr") are two people: mismatch.
    """
    mine, my_suffix = name_parts(stated, stated_suffix)
    theirs, their_suffix = name_parts(smile, smile_suffix)
    if not mine or not theirs:
        return Verdict.MISSING
    if my_suffix and their_suffix and my_suffix != their_suffix:
        return Verdict.MISMATCH  # "Jr" and "Sr" are two people
    if sorted(mine) == sorted(theirs):
        return Verdict.MATCH if my_suffix == their_suffix else Verdict.PARTIAL
    if len(mine) == 1 or len(theirs) == 1:
        single, other = (mine, theirs) if len(mine) == 1 else (theirs, mine)
        return Verdict.PARTIAL if single[0] == other[-1] else Verdict.MISMATCH
    # First and last name agree, the rest (middle names) is only on one side.
    if {mine[0], mine[-1]} <= set(theirs) or {theirs[0], theirs[-1]} <= set(mine):
        return Verdict.PARTIAL
    return Verdict.MISMATCH


def compare_dates(stated: Any, smile: Any) -> Verdict:
    """Dates of birth: equal, or partial when day and month are swapped (03/04 read as 04/03).

    A swap is the classic data-entry error, so it is not called a different date; but it is
    not a confirmed date of birth either, so `review` raises the identity flag for it and
    approving needs an override note saying which date is right.
    """
    if stated is None or smile is None:
        return Verdict.MISSING
    if stated == smile:
        return Verdict.MATCH
    if (stated.year, stated.month, stated.day) == (smile.year, smile.day, smile.month):
        return Verdict.PARTIAL  # day and month swapped: a form filled the other way round
    return Verdict.MISMATCH


def compare_emails(stated: str, smile: Iterable[str]) -> Verdict:
    candidates = [email.strip().casefold() for email in smile if email]
    if not stated or not candidates:
        return Verdict.MISSING
    return Verdict.MATCH if stated.strip().casefold() in candidates else Verdict.MISMATCH


def compare_phones(stated: str, smile: Iterable[str]) -> Verdict:
    mine = re.sub(r"\D", "", stated or "")
    theirs = [re.sub(r"\D", "", phone or "") for phone in smile]
    theirs = [phone for phone in theirs if phone]
    if not mine or not theirs:
        return Verdict.MISSING
    if mine in theirs:
        return Verdict.MATCH
    # The same subscriber number written nationally (0917…) or with another prefix.
    if any(len(phone) >= 9 and phone[-9:] == mine[-9:] for phone in theirs):
        return Verdict.PARTIAL
    return Verdict.MISMATCH


def compare_addresses(stated: str, smile: Iterable[str]) -> Verdict:
    mine = set(plain(stated).split())
    best = Verdict.MISSING
    for address in smile:
        theirs = set(plain(address).split())
        if not mine or not theirs:
            continue
        shared = len(mine & theirs)
        jaccard = shared / len(mine | theirs)
        covered = shared / len(mine)
        verdict = (
            Verdict.MATCH
            if jaccard >= 0.8
            else Verdict.PARTIAL
            if covered >= 0.6
            else Verdict.MISMATCH
        )
        best = min(best, verdict, key=_RANK.__getitem__)
    return best


def _address_text(address: dict) -> str:
    if address.get("fullAddress"):
        return address["fullAddress"]
    parts = ("line1", "line2", "city", "region", "zip", "country")
    return ", ".join(str(address[part]) for part in parts if address.get(part))


def _field_values(identity: Any) -> dict[str, tuple[str, Any]]:
    """Per field: the text to show and the value to compare, from one Identity record."""
    emails = [item.get("address") or "" for item in identity.emails or []]
    phones = [item.get("number") or "" for item in identity.phones or []]
    addresses = [_address_text(item) for item in identity.addresses or []]
    return {
        "name": (identity.full_name, identity),
        "date_of_birth": (identity.dob.isoformat() if identity.dob else "", identity.dob),
        "address": ("; ".join(a for a in addresses if a), addresses),
        "email": (", ".join(e for e in emails if e), emails),
        "phone": (", ".join(p for p in phones if p), phones),
    }


LABELS = {
    "name": "Name",
    "date_of_birth": "Date of birth",
    "address": "Address",
    "email": "Email",
    "phone": "Phone",
}


def compare_identity(applicant: Any, identities: Sequence[Any]) -> list[FieldComparison]:
    """One row per field: stated value, the best Smile value and its verdict."""
    stated_name = " ".join(
        part for part in (applicant.first_name, applicant.middle_name, applicant.last_name) if part
    )
    stated = {
        "name": f"{stated_name} {applicant.suffix}".strip(),
        "date_of_birth": applicant.date_of_birth.isoformat() if applicant.date_of_birth else "",
        "address": applicant.address,
        "email": applicant.email,
        "phone": applicant.phone,
    }
    rows = []
    for field, label in LABELS.items():
        candidates = []
        for identity in identities:
            shown, value = _field_values(identity)[field]
            verdict = _verdict(field, applicant, stated_name, value)
            candidates.append(
                FieldComparison(field, label, stated[field], shown, verdict, identity.provider_id)
            )
        if not candidates:
            rows.append(FieldComparison(field, label, stated[field], "", Verdict.MISSING, ""))
            continue
        best = min(candidates, key=lambda candidate: _RANK[candidate.verdict])  # first if tied
        conflicts = tuple(
            (candidate.source, candidate.smile)
            for candidate in candidates
            if candidate.verdict == Verdict.MISMATCH and best.verdict != Verdict.MISMATCH
        )
        rows.append(replace(best, conflicts=conflicts))
    return rows


def _verdict(field: str, applicant: Any, stated_name: str, value: Any) -> Verdict:
    if field == "name":
        identity = value
        smile_name = identity.full_name or " ".join(
            part for part in (identity.first_name, identity.middle_name, identity.last_name) if part
        )
        return compare_names(stated_name, applicant.suffix, smile_name, identity.suffix or "")
    if field == "date_of_birth":
        return compare_dates(applicant.date_of_birth, value)
    if field == "address":
        return compare_addresses(applicant.address, value)
    if field == "email":
        return compare_emails(applicant.email, value)
    return compare_phones(applicant.phone, value)
