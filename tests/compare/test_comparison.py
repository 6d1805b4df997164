"""`Comparison` built from hand-made frames: summary, text and HTML rendering, figures, HTML page."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
from plotly.offline import get_plotlyjs

from stnb._compare import comparison as data
from stnb._compare.analyse import SideData, analyse
from stnb._compare.comparison import Failure, SideInfo
from stnb._compare.service import SideService, service_frame
from stnb.pages.comparison import Comparison
from tests.compare.test_analysis import side_a, side_b

INFO_A = SideInfo("a", "integration", "111", sandbox=True, rows=6, total=6)
INFO_B = SideInfo("b", "production", "111", sandbox=True, rows=7, total=7)


def build(a: pl.DataFrame | None = None, b: pl.DataFrame | None = None, **kw: object) -> Comparison:
    fa = side_a() if a is None else a
    fb = side_b() if b is None else b
    info_a, info_b = (
        replace(INFO_A, rows=fa.height, total=fa.height),
        replace(INFO_B, rows=fb.height, total=fb.height),
    )
    sa = SideService("a", "integration", "111", status=200)
    sb = SideService("b", "production", "111", status=200)
    return Comparison.of(
        analyse(
            "crm/customers",
            SideData(info_a, fa.lazy(), frozenset(fa.columns)),
            SideData(info_b, fb.lazy(), frozenset(fb.columns)),
            info_a=info_a,
            info_b=info_b,
            method="full list",
            enums={"type"},
            service=service_frame([sa, sb]),
            **kw,  # type: ignore[arg-type]
        )
    )


def test_analyse_fills_every_part() -> None:
    cmp = build(filters={"active": "Any"})
    assert cmp.ok and cmp.has_differences
    assert cmp.fields_only_in("b") == {"nationalAccount"} and cmp.fields_only_in("a") == set()
    assert cmp.new_values_in("b") == {"type": {"Multifamily"}} and cmp.new_values_in("a") == {}
    assert cmp.record_diff.n_changed == 3
    assert set(cmp.value_diff["field"]) == {"type", "active"}
    assert cmp.statuses() == {"a": 200, "b": 200}


def test_same_frames_report_no_difference() -> None:
    cmp = build(side_a(), side_a())
    assert not cmp.has_differences
    assert cmp.schema_diff.is_empty() and cmp.new_values.is_empty() and cmp.record_diff.n_changed == 0
    assert "no differences" in repr(cmp)


def test_summary_frame_is_compact_and_names_the_differences() -> None:
    summary = build().summary()
    assert summary.columns == ["aspect", "item", "a", "b"]
    rows = {(r["aspect"], r["item"]): (r["a"], r["b"]) for r in summary.iter_rows(named=True)}
    assert rows[("counts", "total")] == ("6", "7")
    assert rows[("schema", "fields only in b")] == ("", "nationalAccount")
    assert rows[("values", "type values on one side")] == ("", "Multifamily")
    assert rows[("records", "only on this side")] == ("1", "2")
    assert rows[("records", "changed of 5 shared")][0].startswith("3 (")
    assert rows[("records", "modifiedOn changed only")] == ("1", "1")
    assert rows[("service", "status")] == ("200", "200")


def test_text_and_html_renderings() -> None:
    cmp = build(filters={"active": "Any"})
    text = repr(cmp)
    assert text.splitlines()[0] == (
        "crm/customers [active=Any]: a = integration (tenant 111, sandbox) vs "
        "b = production (tenant 111, sandbox) · full list"
    )
    assert "differences found" in text and "nationalAccount" in text
    fragment = cmp._repr_html_()
    assert fragment.count("</table>") == 1 and "Multifamily" in fragment


def test_html_escapes_values() -> None:
    a = side_a().with_columns(pl.lit("<script>").alias("type"))
    b = side_b().with_columns(pl.lit("<b>x</b>").alias("type"))
    fragment = build(a, b)._repr_html_()
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment


def test_partial_result_names_the_failure() -> None:
    failure = Failure("b", "production", "fetch", "ServerError: 503 Service Unavailable", status=503)
    cmp = analyse(
        "crm/customers",
        SideData(INFO_A, side_a().lazy()),
        None,
        info_a=INFO_A,
        info_b=SideInfo("b", "production", "111"),
        method="full list",
        failures=[failure],
    )
    assert not cmp.ok
    counts = {r["metric"]: (r["a"], r["b"]) for r in cmp.counts.iter_rows(named=True)}
    assert counts["total"] == (6, None)
    assert cmp.monthly["b"].null_count() == cmp.monthly.height > 0
    assert cmp.schema_diff.is_empty() and cmp.record_diff.compared == 0
    text = repr(cmp)
    assert "partial result: side b (production) failed during fetch [503]: ServerError" in text
    assert ("failure", "side b") in {(r[0], r[1]) for r in cmp.summary().rows()}


def test_figures() -> None:
    figures = build().figures()
    assert set(figures) == {"distribution:type", "distribution:active", "monthly", "changed_fields"}
    assert all(isinstance(f, go.Figure) for f in figures.values())
    bars = figures["distribution:type"]
    assert [t.name for t in bars.data] == ["a: integration", "b: production"]
    by_value = dict(zip(bars.data[1].x, bars.data[1].y, strict=True))
    assert by_value == {"Residential": 4, "Commercial": 2, "Multifamily": 1}
    assert bars.layout.template.layout.colorway is not None  # the "stnb" template is applied
    changed = figures["changed_fields"]
    assert sorted(changed.data[0].y) == ["active", "address", "name"]
    monthly = figures["monthly"]
    assert len(monthly.data) == 4  # created and modified, per side


def test_to_html_writes_one_self_contained_page(tmp_path: Path) -> None:
    out = build().to_html(tmp_path / "sub" / "diff.html")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count(get_plotlyjs()[:300]) == 1  # plotly.js inlined once for all figures
    assert "Changed records: field, a → b" in page and "Multifamily" in page
    assert "Bo → Bob" in page and "LA, 10001 → SF, 10001" in page  # field: old → new, structs on one line
    assert not list(tmp_path.glob("sub/*.tmp"))


def test_the_analysis_returns_data_and_the_public_result_adds_the_presentation() -> None:
    """Layers: `stnb._compare` returns frames and text only; `stnb.Comparison` draws and writes pages."""
    import stnb

    plain = analyse(
        "crm/customers",
        SideData(INFO_A, side_a().lazy()),
        SideData(INFO_B, side_b().lazy()),
        info_a=INFO_A,
        info_b=INFO_B,
        method="full list",
    )
    assert type(plain) is data.Comparison
    assert not any(hasattr(plain, name) for name in ("figures", "to_html", "_repr_html_"))
    shown = Comparison.of(plain)
    assert stnb.Comparison is Comparison and isinstance(shown, data.Comparison)
    assert shown.counts is plain.counts and repr(shown) == repr(plain)  # the same frames, not copies
    assert Comparison.of(shown) is shown
    assert stnb.compare.__doc__ == data_compare_doc()


def data_compare_doc() -> str | None:
    from stnb._compare import compare

    return compare.__doc__
