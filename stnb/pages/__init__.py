"""Self-contained HTML pages (presentation layer): each opens offline, in one file, without a server.

- `stnb.pages.comparison`: `Comparison` (the result of `stnb.compare`: tables, figures, `to_html`) and
  the page of a `compare_all` sweep (`write_sweep_html`).
- `stnb.pages.check_report`: `CheckResult` (the result of `stnb.check`: figures, `to_html`).
- `stnb.pages.usage_report`: the API usage report (`build_report`, `write_html_report`, `UsageReport`).
- `stnb.pages.document`: what every page shares (the document frame, the atomic write).

The numbers come from the analysis layer below (`stnb._compare`, `stnb._check`, `stnb.usage`: frames
in, frames out); the figures from `stnb.charts`, the tables from `stnb.tables`. Nothing is imported
until a module is used.
"""
