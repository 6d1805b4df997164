"""The comparison page (`stnb compare --out`): ids print plainly, one-side-only records are listed."""

from __future__ import annotations

import re
from pathlib import Path

from stnb import compare
from tests.compare.fake_api import FakeEnv, connection, customer

BIG = 100_000_000


def _text(page: str, heading: str) -> str:
    """The text of the one section whose title starts with `heading`, tags and styles removed."""
    texts = []
    for section in page.split("<section>")[1:]:
        body = re.sub(r"<style.*?</style>", " ", section.split("</section>")[0], flags=re.S)
        texts.append(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
    (found,) = [t for t in texts if t.startswith(heading)]
    return found


def test_ids_print_plainly_and_one_side_records_are_listed(tmp_path: Path) -> None:
    shared = range(BIG + 1, BIG + 201)
    a_records = [customer(i) for i in shared] + [customer(i) for i in range(BIG + 500, BIG + 503)]
    b_records = [customer(i, name="Renamed") if i == BIG + 178 else customer(i) for i in shared]
    b_records += [customer(i) for i in range(BIG + 900, BIG + 960)]  # 60 on b only: more than listed
    a = FakeEnv("integration", 111, a_records)
    b = FakeEnv("production", 222, b_records)
    cmp = compare("crm/customers", connection(a), connection(b), page_size=100)
    page = cmp.to_html(tmp_path / "diff.html").read_text(encoding="utf-8")

    changed = _text(page, "Changed records")
    assert str(BIG + 178) in changed and "100,000,178" not in changed
    assert "Renamed" in changed

    only_a = _text(page, "Records only in a")
    assert only_a.startswith("Records only in a (integration (tenant 111") and "): 3 " in only_a
    assert list(dict.fromkeys(re.findall(r"\b10000050\d\b", only_a))) == [
        "100000500",
        "100000501",
        "100000502",
    ]
    assert "Customer 100000500" in only_a  # the record itself, not only its id

    only_b = _text(page, "Records only in b")
    assert only_b.startswith("Records only in b (production (tenant 222") and "): 60 " in only_b
    listed = list(dict.fromkeys(re.findall(r"\b1000009\d\d\b", only_b)))
    assert listed == [str(i) for i in range(BIG + 900, BIG + 950)]
    assert "The first 50 of 60 rows" in only_b


def test_counts_keep_thousands_separators(tmp_path: Path) -> None:
    a = FakeEnv("integration", 111, [customer(i) for i in range(1, 1201)])
    b = FakeEnv("production", 222, [customer(i) for i in range(1, 1206)])
    cmp = compare("crm/customers", connection(a), connection(b), page_size=500)
    counts = _text(cmp.to_html(tmp_path / "diff.html").read_text(encoding="utf-8"), "Counts")
    assert "1,200" in counts and "1,205" in counts
