"""Scrubbing personal data out of records before a snapshot is written: the rules are data.

A rule names a field (its last path part, case-insensitive: `name` matches `name`, `customer.name` and
`contacts[].name`) or a value format (`format:email`, `format:phone`), and the kind of fake that replaces
it. Replacement is deterministic: the same input always gives the same fake (Faker seeded from a hash of
the kind, the input and the snapshot's salt), so equal values stay equal across resources and joins on
them still work. Ids, dates, amounts, statuses and types are never touched.

`DEFAULT_RULES` is what `stnb sandbox record --show-scrub` prints; `--scrub FIELD=KIND` (or
`Scrubber(extra=...)`) adds rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from faker import Faker

__all__ = ["DEFAULT_RULES", "KINDS", "ScrubRule", "Scrubber", "parse_rule"]

KINDS = ("person", "company", "email", "phone", "street", "text", "value")


@dataclass(frozen=True, slots=True)
class ScrubRule:
    """Replace `field` (a field name, or `format:email` / `format:phone`) with a fake of `kind`."""

    field: str
    kind: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "kind": self.kind}


def _rules(kind: str, *names: str) -> list[ScrubRule]:
    return [ScrubRule(n, kind) for n in names]


DEFAULT_RULES: tuple[ScrubRule, ...] = (
    *_rules(
        "person",
        "name",
        "firstName",
        "lastName",
        "fullName",
        "customerName",
        "contactName",
        "technicianName",
        "agentName",
        "createdByName",
        "soldByName",
        "displayName",
        "nickname",
    ),
    *_rules(
        "company", "companyName", "businessName", "tenantName", "invoiceHeader", "legalName", "officialName"
    ),
    *_rules("email", "email", "emailAddress", "emails", "login"),
    *_rules("phone", "phone", "phoneNumber", "phoneNumbers", "mobilePhone", "mobileNumber", "fax"),
    *_rules("street", "street", "streetAddress", "address1", "address2", "addressLine1", "addressLine2"),
    *_rules(
        "text",
        "notes",
        "note",
        "summary",
        "text",
        "comment",
        "comments",
        "memo",
        "description",
        "instructions",
        "body",
        "message",
        "reviewText",
        "response",
        "invoiceMessage",
    ),
    ScrubRule("customFields[].value", "value"),
    ScrubRule("format:email", "email"),
    ScrubRule("format:phone", "phone"),
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?1?[\s.-]?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}$")


def parse_rule(text: str) -> ScrubRule:
    """`FIELD=KIND` (e.g. `gateCode=text`) as a rule; ValueError naming the kinds otherwise."""
    field, sep, kind = text.partition("=")
    field, kind = field.strip(), kind.strip()
    if not sep or not field or kind not in KINDS:
        raise ValueError(f"scrub rule {text!r} must be FIELD=KIND with KIND one of {', '.join(KINDS)}")
    return ScrubRule(field, kind)


class Scrubber:
    """Applies scrub rules to parsed JSON records, in place; counts what it replaced."""

    def __init__(
        self, rules: Iterable[ScrubRule] = DEFAULT_RULES, extra: Iterable[ScrubRule] = (), salt: str = ""
    ) -> None:
        self.rules = (*rules, *extra)
        self._salt = salt
        self._by_name: dict[str, str] = {}
        self._by_path: dict[str, str] = {}
        self._formats: list[tuple[re.Pattern[str], str]] = []
        for rule in self.rules:
            if rule.field.startswith("format:"):
                pattern = {"email": _EMAIL, "phone": _PHONE}.get(rule.field[7:])
                if pattern is None:
                    raise ValueError(
                        f"unknown format in scrub rule {rule.field!r}: use format:email or format:phone"
                    )
                self._formats.append((pattern, rule.kind))
            elif "." in rule.field or "[]" in rule.field:
                self._by_path[rule.field.lower()] = rule.kind
            else:
                self._by_name[rule.field.lower()] = rule.kind
        self._faker = Faker("en_US")
        self._cache: dict[tuple[str, str], Any] = {}
        self.replaced = 0
        self.paths: set[str] = set()  # field paths that held scrubbed values

    def scrub(self, records: list[Any]) -> list[Any]:
        for record in records:
            if isinstance(record, dict):
                self._object(record, "")
        return records

    def _object(self, obj: dict[str, Any], prefix: str) -> None:
        for key, value in obj.items():
            path = f"{prefix}{key}"
            kind = self._by_path.get(path.lower()) or self._by_name.get(key.lower())
            if kind is not None and value is not None and not isinstance(value, bool | int | float):
                obj[key] = self._replace(value, kind)
                self.paths.add(path)
            elif isinstance(value, dict):
                self._object(value, path + ".")
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        self._object(item, path + "[].")
                if any(isinstance(v, str) for v in value):
                    obj[key] = [self._by_format(v, path) if isinstance(v, str) else v for v in value]
            elif isinstance(value, str):
                obj[key] = self._by_format(value, path)

    def kind_of(self, name: str) -> str | None:
        """The kind of fake a field of this name gets (by the rules), or None."""
        return self._by_path.get(name.lower()) or self._by_name.get(name.lower())

    def scrub_value(self, value: Any, kind: str | None, path: str) -> Any:
        """One value (e.g. a report cell) replaced by a fake of `kind`; by format (e-mails, phones) when
        `kind` is None. Numbers and booleans are kept."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if kind is not None:
            self.paths.add(path)
            return self._replace(value, kind)
        return self._by_format(value, path) if isinstance(value, str) else value

    def _by_format(self, value: str, path: str) -> str:
        for pattern, kind in self._formats:
            if pattern.match(value.strip()):
                self.paths.add(path)
                return str(self._replace(value, kind))
        return value

    def _replace(self, value: Any, kind: str) -> Any:
        if isinstance(value, list):
            return [self._replace(v, kind) for v in value]
        if isinstance(value, dict):  # an object under a personal field: scrub every text inside it
            return {k: self._replace(v, kind) if isinstance(v, str) else v for k, v in value.items()}
        text = str(value)
        if not text:
            return value
        key = (kind, text)
        fake = self._cache.get(key)
        if fake is None:
            fake = self._fake(kind, text)
            self._cache[key] = fake
        self.replaced += 1
        return fake

    def _fake(self, kind: str, text: str) -> str:
        digest = hashlib.sha256(f"{self._salt}:{kind}:{text}".encode()).digest()
        self._faker.seed_instance(int.from_bytes(digest[:8], "big"))
        f = self._faker
        if kind == "person":
            return str(f.name())
        if kind == "company":
            return str(f.company())
        if kind == "email":
            return f"{f.user_name()}{digest[8] % 100}@example.com"
        if kind == "phone":
            return f"555{int.from_bytes(digest[9:12], 'big') % 10_000_000:07d}"
        if kind == "street":
            return str(f.street_address())
        if kind == "text":
            return str(f.sentence(nb_words=max(3, min(12, len(text.split())))))
        return str(f.word())

    def describe(self) -> list[dict[str, str]]:
        return [r.to_dict() for r in self.rules]
