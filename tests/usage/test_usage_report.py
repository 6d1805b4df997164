"""The HTML usage report and the `stnb usage` commands."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import plotly.offline
import polars as pl
import pytest

from stnb.cli.main import main
from stnb.pages import usage_report as report_mod
from stnb.pages.usage_report import ChromiumNotFound, build_report, write_html_report
from stnb.sandbox.demo_usage import DemoUsage, build_demo_usage
from stnb.usage.ledger import read_ledger
from stnb.usage.portal import import_portal_reports
from stnb.usage.summary import SUMMARY_COLUMNS, app_summary

END = date(2026, 11, 27)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoUsage:
    return build_demo_usage(tmp_path_factory.mktemp("report"), end=END, ledger_days=14)


def test_one_self_contained_file_with_plotly_inlined_once(demo: DemoUsage, tmp_path: Path) -> None:
    out = write_html_report(
        tmp_path / "nested" / "usage.html", ledger=demo.ledger_path, portal=demo.portal_dir
    )
    text = out.read_text(encoding="utf-8")
    plotly_js = plotly.offline.get_plotlyjs()
    assert text.count(plotly_js[:400]) == 1  # the library once, not per figure
    assert text.count('class="plotly-graph-div"') == 8
    ours = text.replace(plotly_js, "")  # the library's own source mentions CDNs; our markup must not
    assert "<script src" not in ours and "<link" not in ours and "http" not in ours
    assert "Acme Dispatch Board" in text and "Fleet Insights" in text
    assert "2026-10-11" in text  # the planted incident, in the anomaly table
    assert not list(out.parent.glob(".*.tmp"))


def test_sources_can_be_frames_and_either_one_alone(demo: DemoUsage) -> None:
    portal = import_portal_reports(demo.portal_dir)
    ledger = read_ledger(demo.ledger_path)
    only_portal = build_report(portal=portal)
    assert [slug for slug, _ in only_portal.figures] == [
        "trend",
        "families",
        "endpoints",
        "tenants",
        "projection",
    ]
    only_ledger = build_report(ledger=ledger.lazy())
    assert [slug for slug, _ in only_ledger.figures][-3:] == ["errors", "latency", "headroom"]
    assert only_ledger.summary["attempts"].sum() == ledger.height
    with pytest.raises(ValueError, match="needs a ledger, portal reports, or both"):
        build_report()


def test_range_and_app_filters(demo: DemoUsage) -> None:
    report = build_report(
        portal=demo.portal_dir, start=date(2026, 10, 1), end=date(2026, 10, 31), apps=["Fleet Insights"]
    )
    assert report.summary["app"].to_list() == ["Fleet Insights"]
    assert (report.start, report.end) == (date(2026, 10, 1), date(2026, 10, 31))
    portal = import_portal_reports(demo.portal_dir)
    expected = portal.filter(
        pl.col("app_name") == "Fleet Insights",
        pl.col("start").dt.date().is_between(date(2026, 10, 1), date(2026, 10, 31)),
    )["calls"].sum()
    assert report.summary["calls"].item() == expected
    for _, fig in report.figures:
        assert "Fleet Insights · production · 2026-10-01 – 2026-10-31" in fig.layout.title.text
    with pytest.raises(ValueError, match="no usage in the chosen range"):
        build_report(portal=demo.portal_dir, apps=["Nobody"])
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        build_report(portal=demo.portal_dir, start=date(2026, 10, 2), end=date(2026, 10, 1))


def test_summary_numbers_match_the_analytics(demo: DemoUsage) -> None:
    portal = import_portal_reports(demo.portal_dir)
    ledger = read_ledger(demo.ledger_path)
    summary = app_summary(portal, ledger)
    assert summary.columns == list(SUMMARY_COLUMNS)
    acme = summary.filter(pl.col("app") == "Acme Dispatch Board").row(0, named=True)
    assert acme["calls"] == portal.filter(pl.col("app_name") == "Acme Dispatch Board")["calls"].sum()
    assert acme["worst_day"] == date(2026, 10, 11) and acme["worst_pct"] < -70
    assert acme["projected_low"] < acme["projected_30d"] < acme["projected_high"]
    assert acme["peak_rps"] == 90 and acme["headroom"] == -30
    attempts = ledger.filter(pl.col("app_name") == "Acme Dispatch Board").height
    assert acme["attempts"] == attempts
    assert acme["success_rate"] + acme["error_rate"] + acme["throttle_rate"] == pytest.approx(1.0)


def test_png_export_without_chromium_says_so(
    demo: DemoUsage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_mod, "chromium_path", lambda: None)
    with pytest.raises(ChromiumNotFound, match="needs Chromium"):
        write_html_report(tmp_path / "usage.html", portal=demo.portal_dir, png_dir=tmp_path / "png")
    assert (tmp_path / "usage.html").exists()  # the HTML never needs a browser
    assert not (tmp_path / "png").exists()


def test_chromium_path_prefers_browser_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "chrome"
    fake.write_text("")
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert report_mod.chromium_path() == str(fake)
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "missing"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert report_mod.chromium_path() is None


def test_cli_report_demo_import_and_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_mod, "chromium_path", lambda: None)
    out = tmp_path / "usage.html"
    code = main(
        [
            "usage",
            "report",
            "--demo",
            "--demo-dir",
            str(tmp_path / "demo"),
            "--out",
            str(out),
            "--png",
            str(tmp_path / "png"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert f"wrote {out}" in captured.out and "8 charts" in captured.out
    assert "PNG images skipped" in captured.err and "Chromium" in captured.err
    assert out.stat().st_size > 1_000_000

    assert (
        main(["usage", "import", str(tmp_path / "demo" / "portal"), "--out", str(tmp_path / "p.parquet")])
        == 0
    )
    captured = capsys.readouterr()
    assert "360 report files, 2 apps, 180 days" in captured.out
    assert pl.read_parquet(tmp_path / "p.parquet").height > 0

    ledger = tmp_path / "demo" / "ledger.sqlite3"
    assert main(["usage", "ledger", "--path", str(ledger), "--export", str(tmp_path / "l.parquet")]) == 0
    captured = capsys.readouterr()
    assert "attempts from" in captured.out and "Acme Dispatch Board (production)" in captured.out
    assert pl.read_parquet(tmp_path / "l.parquet").height == read_ledger(ledger).height

    assert main(["usage", "ledger", "--path", str(ledger), "--retention-days", "0"]) == 0
    assert "deleted" in capsys.readouterr().out
    assert read_ledger(ledger).height == 0  # everything was older than now


def test_cli_errors_are_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STNB_LEDGER", str(tmp_path / "never-written.sqlite3"))
    assert main(["usage", "report", "--out", str(tmp_path / "u.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stnb usage report: error: nothing to report") and "--demo" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "Acme_abc123_202606010000_202606012300.csv").write_text("App ID,Oops\n")
    assert main(["usage", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stnb usage import: error: ") and "line 1" in err and "Traceback" not in err
    assert main(["usage", "ledger", "--path", str(tmp_path / "missing.sqlite3")]) == 1
    assert capsys.readouterr().err.startswith("stnb usage ledger: error: no usage ledger at")
    with pytest.raises(SystemExit):
        main(["usage", "report", "--from", "June 1", "--out", "x.html"])


def test_the_notes_say_what_calls_count_for_each_source(demo: DemoUsage) -> None:
    ledger = read_ledger(demo.ledger_path)
    only_ledger = build_report(ledger=demo.ledger_path)
    assert only_ledger.calls_source == "ledger" and only_ledger.with_ledger
    assert only_ledger.summary["calls"].sum() == ledger.height  # every attempt, as the notes say
    notes = only_ledger.to_html().split("<p class='notes'>", 1)[1].split("</p>", 1)[0]
    assert "count every attempt in the local ledger" in notes and "2xx" not in notes

    only_portal = build_report(portal=demo.portal_dir)
    notes = only_portal.to_html().split("<p class='notes'>", 1)[1].split("</p>", 1)[0]
    assert (only_portal.calls_source, only_portal.with_ledger) == ("portal", False)
    assert "successful (2xx) production calls" in notes and "which this report does not use" in notes

    both = build_report(ledger=demo.ledger_path, portal=demo.portal_dir)
    notes = both.to_html().split("<p class='notes'>", 1)[1].split("</p>", 1)[0]
    assert "successful (2xx) production calls" in notes and "count every attempt" not in notes
    assert "come from the local ledger" in notes


def test_an_unknown_app_names_the_apps_and_days_that_have_usage(
    demo: DemoUsage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = import_portal_reports(demo.portal_dir)["start"].min()
    last = read_ledger(demo.ledger_path)["at"].max()  # tenants west of UTC call into the next UTC day
    assert isinstance(first, datetime) and isinstance(last, datetime)
    with pytest.raises(ValueError, match="no usage in the chosen range and apps") as info:
        build_report(portal=demo.portal_dir, ledger=demo.ledger_path, apps=["Nope"])
    message = str(info.value)
    assert "(apps 'Nope')" in message
    assert "the data has apps 'Acme Dispatch Board', 'Fleet Insights'" in message
    assert f"with usage from {first.date()} to {last.date()} (UTC days)" in message

    out = tmp_path / "u.html"
    argv = ["usage", "report", "--portal", str(demo.portal_dir), "--app", "Nope", "--out", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("stnb usage report: error: no usage") and "'Fleet Insights'" in err
