"""The HTML pieces and Output contents every widget uses: origins, banners, errors, tables, figures."""

from __future__ import annotations

import ipywidgets
import plotly.graph_objects as go
import polars as pl

from stnb._redact import register_secret
from stnb.errors import ConfigError, RateLimited, ValidationError
from stnb.widgets.outputs import (
    FIGURE_HEIGHT,
    PLOTLY_MIME,
    datatable_assets,
    figure_output,
    show,
    small_table_output,
    table_output,
    text_of,
)
from stnb.widgets.render import banner_html, error_html, origin_html, origin_text, sandbox_banner_html


def test_origin_names_environment_tenant_and_sandbox() -> None:
    assert origin_text("production", 431848990, False) == "production · tenant 431848990"
    assert origin_text("integration", "1", True) == "integration · tenant 1 · sandbox"
    assert "from integration · tenant 1 · sandbox" in origin_html("integration", "1", True)


def test_banners_escape_their_text() -> None:
    html = banner_html("<script>x</script> & more", "ok")
    assert "<script>" not in html and "&lt;script&gt;" in html and "stnb-banner-ok" in html
    assert "sandbox answers as production" in sandbox_banner_html("production")


def test_api_errors_show_status_title_fields_request_trace_id_and_hint() -> None:
    error = RateLimited(
        429,
        "Rate limit is exceeded. Try again in 3 seconds.",
        retry_after=3.0,
        errors={"tenant": ["over 60 requests per second"]},
        trace_id="00-abc-def-00",
        method="GET",
        url_template="/jpm/v2/tenant/{tenant}/jobs",
    )
    html = error_html(error)
    assert "<b>429 — Rate limit is exceeded. Try again in 3 seconds.</b>" in html
    assert "<li>tenant: over 60 requests per second</li>" in html
    assert "<li>request: GET /jpm/v2/tenant/{tenant}/jobs</li>" in html
    assert "<li>trace id: 00-abc-def-00</li>" in html
    assert "hint:" in html
    assert "Traceback" not in html


def test_client_side_errors_do_not_repeat_the_headline() -> None:
    error = ValidationError(
        "Invalid filters for crm/customers: colour: unknown", errors={"colour": ["unknown"]}
    )
    html = error_html(error)
    assert html.count("colour: unknown") == 1


def test_other_errors_show_their_type_and_lines() -> None:
    html = error_html(ConfigError("no credentials\nlooked in: environment variables"))
    assert (
        "<b>ConfigError: no credentials</b>" in html and "<li>looked in: environment variables</li>" in html
    )
    assert "<b>KeyError: &#x27;x&#x27;</b>" in error_html(KeyError("x"))


def test_errors_never_show_a_registered_secret() -> None:
    secret = "cs1.verysecretvalue0123456789"
    register_secret(secret)
    html = error_html(RuntimeError(f"token request failed with client_secret={secret}"))
    assert secret not in html and "***" in html


def test_tables_render_polars_frames_interactively_and_statically() -> None:
    frame = pl.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "<c>"]})
    data = table_output(frame, caption="crm/customers · integration · tenant 1")["data"]
    assert data["text/plain"] == "3 rows × 2 columns"
    assert "crm/customers · integration · tenant 1" in data["text/html"]
    assert "_itables_" in data["text/html"], "waits for the offline DataTables bundle"
    assert "_itables_" in datatable_assets()["data"]["text/html"]
    static = small_table_output(pl.DataFrame({"n": list(range(30))}), "all rows")["data"]["text/html"]
    assert "all rows" in static and ">29</td>" in static and "…" not in static
    assert "shape:" not in static and "i64" not in static


def test_figures_carry_a_fixed_height_unless_they_set_one() -> None:
    spec = figure_output(go.Figure(go.Bar(x=[1], y=[2]), layout={"title": "T"}))["data"][PLOTLY_MIME]
    assert spec["layout"]["height"] == FIGURE_HEIGHT and spec["config"] == {"displaylogo": False}
    tall = figure_output(go.Figure(layout={"height": 900}))["data"][PLOTLY_MIME]
    assert tall["layout"]["height"] == 900


def test_show_replaces_what_an_output_shows() -> None:
    out = ipywidgets.Output()
    show(out, table_output(pl.DataFrame({"a": [1]})))
    show(out, small_table_output(pl.DataFrame({"b": [2]}), "second"))
    assert len(out.outputs) == 1 and "second" in text_of(out)
    show(out)
    assert out.outputs == () and text_of(out) == ""
