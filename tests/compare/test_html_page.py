"""The comparison page (`stnb compare --out`): ids print plainly, one-side-only records are listed."""

from __future__ import annotations

import re
from pathlib import Path

from stnb.compare import compare
from tests.compare.fake_api import FakeEnv, connection, customer

BIG = 100_000_000


def _text(page: str, heading: str) -> str:
    """The text of the section under `heading`, tags removed."""
    start = page.index(f"<h3>{heading}")
    end = page.find("<h3>", start + 4)
    return re.sub(r"<[^>]+>", " ", page[start : end if end > 0 else None])


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
    assert "Records only in a: 3 (by id)" in only_a
    assert "100000500, 100000501, 100000502" in only_a

    only_b = _text(page, "Records only in b")
    assert "Records only in b: 60 (by id)" in only_b
    listed = re.findall(r"\b1000009\d\d\b", only_b)
    assert listed == [str(i) for i in range(BIG + 900, BIG + 950)]
    assert "and 10 more" in only_b


def test_counts_keep_thousands_separators(tmp_path: Path) -> None:
    a = FakeEnv("integration", 111, [customer(i) for i in range(1, 1201)])
    b = FakeEnv("production", 222, [customer(i) for i in range(1, 1206)])
    cmp = compare("crm/customers", connection(a), connection(b), page_size=500)
    counts = _text(cmp.to_html(tmp_path / "diff.html").read_text(encoding="utf-8"), "Counts")
    assert "1,200" in counts and "1,205" in counts
