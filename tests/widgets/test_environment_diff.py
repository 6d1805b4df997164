"""EnvironmentDiff on the sandbox: the planted integration/production differences, failures, the sweep."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import stnb
from stnb._client import Client
from stnb._config import Credentials, sandbox_environment
from stnb._connection import Connection
from stnb.sandbox import default_sandbox
from stnb.sandbox.planted import INTEGRATION_TEST_CUSTOMERS, PRODUCTION_NEW_CUSTOMERS
from stnb.widgets import EnvironmentDiff
from stnb.widgets.outputs import PLOTLY_MIME, text_of

from .helpers import widget_state

SANDBOX = {"sandbox": True}


@pytest.fixture(scope="module")
def compared() -> EnvironmentDiff:
    diff = EnvironmentDiff(connect_options=SANDBOX)
    assert diff.run() is not None
    return diff


def fleet_insights(env: str) -> Connection:
    sandbox = default_sandbox()
    raw = sandbox.app("Fleet Insights").tenants[0].credentials[env]
    creds = Credentials(
        raw.app_key, raw.client_id, raw.client_secret, raw.tenant_id, raw.app_name, raw.timezone
    )
    client = Client(sandbox_environment(env, sandbox.url), creds, transport=sandbox.transport(), sandbox=True)
    return Connection(client)


def test_sides_offer_environments_and_profile_sections(tmp_path: Path) -> None:
    (tmp_path / "profiles.toml").write_text(
        '[acme]\napp_key = "ak1.abcdefghijklmnopqrstuvwxy"\n'
        '[acme.production.111111111]\nclient_id = "cid.abcdefghijklmnopqrstuvwxy"\n'
        'client_secret = "cs1.abcdefghijklmnopqrstuvwxyabcdefghijklmnopqrstuvwxy"\n'
    )
    diff = EnvironmentDiff()
    assert [label for label, _ in diff.side_b.options] == ["production", "integration", "acme.production"]
    assert diff.sides == ("integration", "production")
    diff.side_b.value = "acme.production"
    assert diff.sides == ("integration", "acme.production")
    assert (
        "crm/customers" in diff.resource.options and "crm/bookings/{id}/contacts" not in diff.resource.options
    )


def test_the_planted_differences_are_shown(compared: EnvironmentDiff) -> None:
    cmp = compared.comparison
    assert cmp is not None and cmp.ok
    status = compared.status.value
    assert "differences found" in status
    assert f"a = integration (tenant {cmp.a.tenant}, sandbox)" in status
    assert f"b = production (tenant {cmp.b.tenant}, sandbox)" in status
    summary, records, schema, charts, service = (text_of(tab) for tab in compared.tabs.children)
    assert "nationalAccount" in summary and "Multifamily" in summary
    assert f"Records only in a: integration (tenant {cmp.a.tenant}, sandbox)" in records
    assert f"Records only in b: production (tenant {cmp.b.tenant}, sandbox)" in records
    for only in (cmp.record_diff.only_in_a, cmp.record_diff.only_in_b):
        assert only.columns[:2] == ["id", "name"]  # the records themselves, not ids alone
        assert str(only["name"][0]) in records
    assert cmp.record_diff.only_in_a.height == INTEGRATION_TEST_CUSTOMERS
    assert cmp.record_diff.only_in_b.height == PRODUCTION_NEW_CUSTOMERS
    assert "Changed records, field by field: a → b" in records and " → " in records
    assert '{\\"' not in records and "[{" not in records  # no JSON text: nested values on one line
    assert "nationalAccount" in schema and "Multifamily" in schema
    assert "records per month" in charts and "Changed fields" in charts
    assert all(PLOTLY_MIME in output["data"] for output in compared.tabs.children[3].outputs)
    assert "latency" in service


def test_the_distribution_picker_swaps_the_chart(compared: EnvironmentDiff) -> None:
    assert "type" in compared.distribution_field.options
    compared.distribution_field.value = "type"
    (output,) = compared.distribution.outputs
    figure = output["data"][PLOTLY_MIME]
    assert figure["layout"]["title"]["text"].startswith("type: values side by side")
    production = next(trace for trace in figure["data"] if "production" in trace["name"])
    assert "Multifamily" in production["x"]


def test_a_side_that_fails_is_named_and_the_other_still_answers() -> None:
    diff = EnvironmentDiff(stnb.connect(sandbox=True), fleet_insights("integration"), "accounting/invoices")
    cmp = diff.run()
    assert cmp is not None and not cmp.ok
    (failure,) = cmp.failures
    assert failure.side == "b" and failure.status == 403
    assert 'class="stnb-banner stnb-banner-error"' in diff.status.value
    assert "side b (integration) failed" in diff.status.value
    assert diff.side_a.label == "integration (given)"


def test_bad_input_is_reported_inline() -> None:
    diff = EnvironmentDiff("integration", "nowhere", connect_options=SANDBOX)
    assert diff.run() is None
    assert 'class="stnb-error"' in diff.status.value and "nowhere" in diff.status.value


def test_the_sweep_ranks_resources_and_respects_its_budget() -> None:
    diff = EnvironmentDiff(connect_options=SANDBOX)
    ranked = diff.sweep(budget=20)
    assert ranked is not None
    probed = ranked.filter(pl.col("note").is_null() | ~pl.col("note").str.starts_with("skipped"))
    assert probed.height == 10
    scores = ranked["score"].head(probed.height).to_list()
    assert scores == sorted(scores, reverse=True)
    skipped = ranked.tail(ranked.height - probed.height)
    assert skipped.height > 0 and skipped["note"].str.contains("budget").all()
    shown = text_of(diff.sweep_output)
    assert "most different first · a = integration · tenant" in shown and "· b = production · tenant" in shown


def test_widget_state_holds_no_secret(compared: EnvironmentDiff) -> None:
    state = widget_state(compared.widget)
    for app in default_sandbox().apps:
        assert app.app_key not in state
        for tenant in app.tenants:
            for creds in tenant.credentials.values():
                assert creds.client_secret not in state and creds.client_id not in state
