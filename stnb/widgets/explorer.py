"""ResourceExplorer: choose a resource from the catalog, fill its filters, click Run, look at the frame.

Nothing is requested until Run is clicked. Pages arrive through `Connection.pages` (the progress bar
advances per page) and become one typed frame through `stnb._frames`; the result is shown as an
interactive table with its schema, a quick profile and a completeness chart, tagged with the
environment and tenant that answered.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import polars as pl

from stnb._clock import Clock
from stnb._connection import Connection
from stnb._flow import collect_warnings
from stnb._frames import ParquetSink, polars_schema, to_frame
from stnb._paging import Page, PageIterator
from stnb._query import MAX_PAGE_SIZE
from stnb._text import plural
from stnb.catalog import Catalog, Resource
from stnb.charts.explore import completeness_chart, frame_profile
from stnb.widgets.filter_form import FilterForm
from stnb.widgets.outputs import datatable_assets, figure_output, show, table_output
from stnb.widgets.render import banner_html, button_layout, error_html, origin_html, origin_text, text_html

__all__ = ["ExplorerResult", "ResourceExplorer", "list_resources"]

ConnectionSource = Connection | Callable[[], Connection]
DEFAULT_PAGE_SIZE = 500
DEFAULT_RESOURCE = "crm/customers"


@dataclass(frozen=True, slots=True)
class ExplorerResult:
    """One Run: the frame and where it came from."""

    frame: pl.DataFrame
    resource: str
    env: str
    tenant: str
    sandbox: bool
    filters: dict[str, Any]
    pages: int
    truncated: bool
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return origin_text(self.env, self.tenant, self.sandbox)


def list_resources(catalog: Catalog) -> dict[str, list[Resource]]:
    """Resources with a list endpoint, by module, in catalog order."""
    by_module: dict[str, list[Resource]] = {}
    for module in catalog.modules:
        listed = [r for r in catalog.in_module(module) if r.list is not None]
        if listed:
            by_module[module] = listed
    return by_module


class ResourceExplorer:
    """Module and resource pickers, generated filters, Run, and the result as table, profile and chart.

    `connection` is a `Connection` or a callable returning one (e.g. `ConnectionPanel.connect`, so the
    explorer follows the panel). Downloads are written under `output_dir`.
    """

    def __init__(
        self,
        connection: ConnectionSource,
        resource: str | None = None,
        *,
        output_dir: str | os.PathLike[str] = "output",
        clock: Clock | None = None,
    ) -> None:
        self._source = connection
        self._clock = clock
        self.output_dir = Path(output_dir)
        self.result: ExplorerResult | None = None
        self._quiet = False
        conn = self._connection()
        self._resources = list_resources(conn.catalog)
        start = conn.catalog.resolve(resource or DEFAULT_RESOURCE)
        if start.list is None:
            raise ValueError(f"{start.key} has no list endpoint to explore")
        self._timezone = conn.timezone

        self.module = widgets.Dropdown(
            options=list(self._resources), value=start.module, description="module"
        )
        self.resource = widgets.Dropdown(description="resource")
        self.parent_id = widgets.Text(description="parent id", layout=widgets.Layout(display="none"))
        self.form_box = widgets.VBox()
        self.form: FilterForm | None = None
        self.page_size = widgets.BoundedIntText(
            value=DEFAULT_PAGE_SIZE, min=1, max=MAX_PAGE_SIZE, description="page size"
        )
        self.max_pages = widgets.BoundedIntText(
            value=0, min=0, max=100_000, description="max pages", tooltip="0 fetches every page"
        )
        self.run_button = widgets.Button(
            description="Run", icon="play", button_style="primary", layout=button_layout()
        )
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="pages")
        self.status = widgets.HTML()
        self.table = widgets.Output()
        self.chart = widgets.Output()
        self.profile = widgets.Output()
        self.save_parquet = widgets.Button(
            description="Save Parquet", icon="download", disabled=True, layout=button_layout()
        )
        self.save_csv = widgets.Button(
            description="Save CSV", icon="download", disabled=True, layout=button_layout()
        )
        self.saved = widgets.HTML()
        assets = widgets.Output()
        show(assets, datatable_assets())
        details = widgets.Accordion(children=[self.profile], selected_index=None)
        details.set_title(0, "Schema and quick profile")
        self.widget = widgets.VBox(
            [
                assets,
                widgets.HBox([self.module, self.resource, self.parent_id]),
                self.form_box,
                widgets.HBox([self.page_size, self.max_pages, self.run_button, self.progress]),
                self.status,
                self.table,
                widgets.HBox([self.save_parquet, self.save_csv, self.saved]),
                details,
                self.chart,
            ]
        )
        self._fill_resources(start.key)
        self.module.observe(lambda _change: self._fill_resources(None), names="value")
        self.resource.observe(self._on_resource, names="value")
        self.run_button.on_click(lambda _button: self.run())
        self.save_parquet.on_click(lambda _button: self.save("parquet"))
        self.save_csv.on_click(lambda _button: self.save("csv"))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _connection(self) -> Connection:
        return self._source if isinstance(self._source, Connection) else self._source()

    @property
    def frame(self) -> pl.DataFrame | None:
        """The last result's frame."""
        return self.result.frame if self.result else None

    def select(self, resource: str) -> None:
        """Pick a resource by catalog name (what the two dropdowns do)."""
        chosen = self._connection().catalog.resolve(resource)
        self.module.value = chosen.module
        self.resource.value = chosen.key

    # -- building the form -------------------------------------------------------------------------

    def _fill_resources(self, keep: str | None) -> None:
        listed = self._resources[self.module.value]
        self._quiet = True  # one form rebuild below, not one per intermediate dropdown value
        try:
            self.resource.options = [(r.key.split("/", 1)[1], r.key) for r in listed]
            self.resource.value = keep or listed[0].key
        finally:
            self._quiet = False
        self._build_form()

    def _on_resource(self, _change: dict[str, Any]) -> None:
        if not self._quiet:
            self._build_form()

    def _selected(self) -> Resource:
        return self._connection().catalog.resolve(self.resource.value)

    def _build_form(self) -> None:
        chosen = self._selected()
        endpoint = chosen.list
        assert endpoint is not None  # only listed resources are offered
        self.form = FilterForm(endpoint, self._timezone, clock=self._clock)
        self.form_box.children = [self.form.widget]
        parent = ", ".join(endpoint.parent_params)  # several parents: ids separated by commas
        self.parent_id.description = parent or "parent id"
        self.parent_id.layout.display = "flex" if parent else "none"
        self.parent_id.value = ""

    # -- running -----------------------------------------------------------------------------------

    def run(self) -> ExplorerResult | None:
        """Fetch the selected resource with the form's filters; show the result or the error inline."""
        self.run_button.disabled = True
        self.progress.value, self.progress.max, self.progress.bar_style = 0, 1, ""
        self.status.value = banner_html(f"Fetching {self.resource.value}…", "info")
        try:
            self.result = self._fetch()
        except Exception as exc:  # any failure is shown inline, never as a traceback
            self.progress.bar_style = "danger"
            self.status.value = error_html(exc)
            return None
        finally:
            self.run_button.disabled = False
        self.progress.bar_style = "success"
        self._show(self.result)
        return self.result

    def _filters(self) -> dict[str, Any]:
        assert self.form is not None
        filters = self.form.values()
        endpoint = self._selected().list
        if endpoint is not None and endpoint.parent_params:
            values = [v.strip() for v in self.parent_id.value.split(",")]
            if len(endpoint.parent_params) == 1:
                values = [self.parent_id.value.strip()]
            for index, name in enumerate(endpoint.parent_params):
                filters[name] = (values[index] if index < len(values) else "") or None
        return filters

    def _fetch(self) -> ExplorerResult:
        conn = self._connection()
        chosen = self._selected()
        filters = self._filters()
        fields = chosen.fields_for("list")
        started = time.perf_counter()
        frames: list[pl.DataFrame] = []
        with collect_warnings() as caught:  # shown on the status line; the process's filters stay as they are
            walk = conn.pages(
                chosen.key,
                page_size=self.page_size.value,
                max_pages=self.max_pages.value or None,
                progress=False,
                **filters,
            )
            for page in walk:
                frames.append(to_frame(page.items, fields, resource=chosen.key))
                self._advance(page, walk)
        if not frames:
            frame = pl.DataFrame(schema=polars_schema(fields))
        else:
            frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
        return ExplorerResult(
            frame=frame,
            resource=chosen.key,
            env=conn.env,
            tenant=conn.tenant,
            sandbox=conn.sandbox,
            filters={k: v for k, v in filters.items() if v is not None},
            pages=walk.pages,
            truncated=walk.truncated,
            seconds=time.perf_counter() - started,
            warnings=[str(w) for w in caught],
        )

    def _advance(self, page: Page, walk: PageIterator) -> None:
        done = walk.pages
        if page.total_count is not None and page.page_size:
            total = max(1, math.ceil(page.total_count / page.page_size))
        else:
            total = done + (1 if page.has_more else 0)
        if self.max_pages.value:
            total = min(total, self.max_pages.value)
        self.progress.max = max(total, done, 1)
        self.progress.value = done

    def _show(self, result: ExplorerResult) -> None:
        frame = result.frame
        sent = ", ".join(f"{k}={v}" for k, v in result.filters.items()) or "none"
        dates = self.form.describe() if self.form else ""
        notes = "".join(f"<div>⚠ {text_html(w)}</div>" for w in result.warnings)
        origin = origin_html(result.env, result.tenant, result.sandbox)
        self.status.value = (
            f"<div><b>{plural(frame.height, 'row')} × {plural(frame.width, 'column')}</b> of "
            f"{text_html(result.resource)} in {plural(result.pages, 'page')}, {result.seconds:.1f} s"
            f" · {origin}"
            f"</div><div style='font-size:12px'>filters: {text_html(sent)}"
            f"{' · ' + text_html(dates) if dates else ''}</div>{notes}"
        )
        context = f"{result.resource} · {result.origin}"
        show(self.table, table_output(frame, caption=context))
        profile = frame_profile(frame)
        show(
            self.profile,
            table_output(
                profile,
                caption=f"schema and profile · {context}",
                units={"filled": "share", "min": "text", "max": "text"},
                reorder=False,
            ),
        )
        show(self.chart, figure_output(completeness_chart(profile, context=context)))
        self.save_parquet.disabled = self.save_csv.disabled = False
        self.saved.value = ""

    # -- downloads ---------------------------------------------------------------------------------

    def save(self, fmt: str) -> Path | None:
        """Write the last result as `parquet` or `csv` (nested columns as JSON text) under `output_dir`."""
        result = self.result
        if result is None:
            self.saved.value = banner_html("Run a query first.", "info")
            return None
        name = f"{result.resource.replace('/', '-')}-{result.env}-{result.tenant}.{fmt}"
        try:
            with ParquetSink(self.output_dir / name) as sink:
                sink.write(result.frame)
        except Exception as exc:  # a full disk or a bad directory is shown, not raised
            self.saved.value = error_html(exc)
            return None
        path = sink.path
        self.saved.value = _download_link(path)
        return path


def _download_link(path: Path) -> str:
    """A download link to `path` (relative to the notebook when possible) and where it was written."""
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    href = text_html(shown.as_posix())
    return f'saved <a href="{href}" download>{href}</a>'
