"""ResourceExplorer driven without a browser: pickers, Run, progress, results, downloads, errors inline."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import stnb
from stnb._client import Client
from stnb._config import Credentials, sandbox_environment
from stnb._connection import Connection
from stnb.sandbox import default_sandbox
from stnb.widgets import ConnectionPanel, ResourceExplorer
from stnb.widgets.outputs import PLOTLY_MIME, text_of

from .helpers import widget_state


@pytest.fixture(scope="module")
def st() -> Connection:
    return stnb.connect(sandbox=True)


@pytest.fixture
def explorer(st: Connection, tmp_path: Path) -> ResourceExplorer:
    return ResourceExplorer(st, output_dir=tmp_path / "out")


def fleet_insights(env: str) -> Connection:
    """The sandbox's second app, whose scopes leave out accounting: its calls there answer 403."""
    sandbox = default_sandbox()
    raw = sandbox.app("Fleet Insights").tenants[0].credentials[env]
    creds = Credentials(
        raw.app_key, raw.client_id, raw.client_secret, raw.tenant_id, raw.app_name, raw.timezone
    )
    client = Client(sandbox_environment(env, sandbox.url), creds, transport=sandbox.transport(), sandbox=True)
    return Connection(client)


def test_pickers_come_from_the_catalog(explorer: ResourceExplorer, st: Connection) -> None:
    assert (explorer.module.value, explorer.resource.value) == ("crm", "crm/customers")
    assert "jpm" in explorer.module.options and "accounting" in explorer.module.options
    explorer.module.value = "jpm"
    keys = [value for _, value in explorer.resource.options]
    assert "jpm/jobs" in keys and all(st.catalog.resolve(k).list is not None for k in keys)
    assert explorer.form is not None and explorer.form.endpoint.path.startswith("/jpm/")


def test_nothing_is_requested_until_run(explorer: ResourceExplorer) -> None:
    assert explorer.result is None and explorer.frame is None
    assert explorer.save_parquet.disabled and explorer.save_csv.disabled
    assert text_of(explorer.table) == ""


def test_run_shows_the_frame_with_its_origin(explorer: ResourceExplorer, st: Connection) -> None:
    result = explorer.run()
    assert result is not None
    expected = st.frame("crm/customers", active="any", progress=False)
    assert result.frame.shape == expected.shape
    assert result.frame.schema == expected.schema
    assert result.filters == {"active": "Any"}
    assert (result.env, result.tenant, result.sandbox) == (st.env, st.tenant, True)
    assert explorer.progress.value == explorer.progress.max == result.pages > 1
    assert explorer.progress.bar_style == "success"
    origin = f"{st.env} · tenant {st.tenant} · sandbox"
    assert f"{expected.height:,} rows × {expected.width} columns" in explorer.status.value
    assert f"from {origin}" in explorer.status.value
    table = text_of(explorer.table)
    assert f"{expected.height:,} rows × {expected.width} columns" in table
    assert expected.height > 2_000  # more than a browsing table holds: it says so in words
    shown = f"Showing the first 2,000 of {expected.height:,} rows: search and sort work on these 2,000"
    assert shown in table
    assert "downsampled" not in table and "maxBytes" not in table
    assert "crm/customers · " + origin in table and "<table" in table
    (chart,) = explorer.chart.outputs
    figure = chart["data"][PLOTLY_MIME]
    assert origin in figure["layout"]["title"]["text"]
    assert sorted(figure["data"][0]["y"]) == sorted(expected.columns)
    profile = text_of(explorer.profile)
    assert "schema and profile · crm/customers" in profile and "Nulls" in profile


def test_filters_and_dates_reach_the_request(explorer: ResourceExplorer) -> None:
    explorer.select("jpm/jobs")
    assert explorer.form is not None
    explorer.form.inputs["jobStatus"].value = "Completed"
    explorer.form.date_preset.value = "last_month"
    result = explorer.run()
    assert result is not None and result.frame.height > 0
    assert set(result.frame["jobStatus"].to_list()) == {"Completed"}
    lower = result.filters["modifiedOnOrAfter"]
    upper = result.filters["modifiedBefore"]
    modified = result.frame["modifiedOn"]
    assert modified.min() >= pl.Series([lower]).str.to_datetime(time_zone="UTC")[0]  # type: ignore[operator]
    assert modified.max() < pl.Series([upper]).str.to_datetime(time_zone="UTC")[0]  # type: ignore[operator]
    assert "modified: last month (America/New_York)" in explorer.status.value


def test_max_pages_truncates_visibly(explorer: ResourceExplorer) -> None:
    explorer.page_size.value = 100
    explorer.max_pages.value = 2
    result = explorer.run()
    assert result is not None
    assert (result.frame.height, result.pages, result.truncated) == (200, 2, True)
    assert explorer.progress.max == 2
    assert "stopped after 2 pages" in explorer.status.value


def test_a_bad_filter_is_reported_inline_and_keeps_the_last_result(explorer: ResourceExplorer) -> None:
    first = explorer.run()
    assert explorer.form is not None
    explorer.form.inputs["ids"].value = "12,abc"
    assert explorer.run() is None
    assert explorer.result is first
    assert 'class="stnb-error"' in explorer.status.value
    assert "ids" in explorer.status.value and "Traceback" not in explorer.status.value
    assert explorer.progress.bar_style == "danger"
    assert not explorer.run_button.disabled


def test_an_api_error_shows_title_and_trace_id(tmp_path: Path) -> None:
    explorer = ResourceExplorer(fleet_insights("integration"), "accounting/invoices", output_dir=tmp_path)
    assert explorer.run() is None
    status = explorer.status.value
    assert (
        "403 — " in status and "trace id: 00-" in status and "request: GET /accounting/v2/tenant/" in status
    )


def test_a_sub_list_asks_for_its_parent_id(explorer: ResourceExplorer) -> None:
    explorer.select("crm/bookings/{id}/contacts")
    assert explorer.parent_id.layout.display == "flex"
    assert explorer.run() is None
    assert "needs id=" in explorer.status.value


def test_downloads_write_parquet_and_csv(explorer: ResourceExplorer, tmp_path: Path, st: Connection) -> None:
    assert explorer.save("parquet") is None
    assert "Run a query first" in explorer.saved.value
    result = explorer.run()
    assert result is not None
    parquet = explorer.save("parquet")
    assert parquet == tmp_path / "out" / f"crm-customers-{st.env}-{st.tenant}.parquet"
    assert pl.read_parquet(parquet).equals(result.frame)
    csv = explorer.save("csv")
    assert csv is not None and pl.read_csv(csv).height == result.frame.height
    assert csv.name in explorer.saved.value and "download" in explorer.saved.value


def test_the_explorer_follows_a_connection_panel(tmp_path: Path) -> None:
    panel = ConnectionPanel()
    explorer = ResourceExplorer(panel.connect, output_dir=tmp_path)
    panel.env.value = "production"
    result = explorer.run()
    assert result is not None and result.env == "production"
    assert "from production · tenant" in explorer.status.value


def test_widget_state_holds_no_secret(explorer: ResourceExplorer) -> None:
    explorer.run()
    state = widget_state(explorer.widget)
    for app in default_sandbox().apps:
        assert app.app_key not in state
        for tenant in app.tenants:
            for creds in tenant.credentials.values():
                assert creds.client_secret not in state and creds.client_id not in state
