"""Recipes, their results and reconciliations.

A recipe reads the list endpoints (through a `Fetcher`) and writes a *ledger*: one row per record and
figure, first the figure's naive reading (`cause == "baseline"`: what a plain sum over the list endpoints
gives, e.g. invoice totals by UTC invoice date), then one row per correction with the cause that explains
it (`time zone`, `date basis`, `inactive records`, `adjustments`, `non-income items`, ...). The recipe's
figures are the ledger's sums; `reconcile()` sets them beside the Reporting API's report, attributes any
remaining sub-cent difference of split or rounded figures to `rounding`, and what is left is unexplained.

Ledger columns: key (Int64, the business unit / technician / campaign ... id; null for "none"), name,
figure, cause, amount (Float64 in the figure's base unit: cents, seconds or a count), record, detail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from stnb._text import plural
from stnb.recipes.fetch import Fetcher, Pull
from stnb.recipes.period import Period

__all__ = [
    "BASELINE",
    "LEDGER_SCHEMA",
    "ROUNDING",
    "Figure",
    "Recipe",
    "RecipeResult",
    "Reconciliation",
    "ledger_rows",
]

BASELINE = "baseline"
ROUNDING = "rounding"
UNEXPLAINED = "unexplained"
_NO_KEY = -1  # joins treat a missing key (no campaign, no business unit) as one more key

LEDGER_SCHEMA: Mapping[str, pl.DataType] = {
    "key": pl.Int64(),
    "name": pl.String(),
    "figure": pl.String(),
    "cause": pl.String(),
    "amount": pl.Float64(),
    "record": pl.String(),
    "detail": pl.String(),
}

_UNITS = {"money": (100.0, 1.0), "hours": (3600.0, 36.0), "count": (1.0, 1.0)}  # base per display, resolution


@dataclass(frozen=True)
class Figure:
    """A reconciled column: its report field name and unit (`money` in dollars, `hours`, `count`)."""

    name: str
    unit: str = "money"

    @property
    def per_display(self) -> float:
        return _UNITS[self.unit][0]

    @property
    def resolution(self) -> float:
        return _UNITS[self.unit][1]

    def display(self, base: pl.Expr) -> pl.Expr:
        if self.unit == "count":
            return base.round(0).cast(pl.Int64)
        return (base / self.per_display).round(2)


def ledger_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with exactly the ledger's columns and types (missing ones null), rows of amount 0 dropped
    unless they are baseline rows."""
    cols = [
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(dtype).alias(c)
        for c, dtype in LEDGER_SCHEMA.items()
    ]
    out = frame.select(cols)
    return out.filter((pl.col("cause") == BASELINE) | (pl.col("amount").abs() > 1e-9))


Build = Callable[[Fetcher, Period, "int | None"], pl.DataFrame]


@dataclass(frozen=True)
class Recipe:
    """A business question answered from the list endpoints and reconciled with one report."""

    name: str
    title: str
    question: str
    report_category: str
    report_name: str
    report_key: str  # the report column holding the key id
    report_label: str  # the report column holding the key's name ("Name" also works)
    key_label: str  # what a key is, in words ("business unit")
    figures: tuple[Figure, ...]
    causes: tuple[str, ...]
    build: Build
    by_business_unit: bool = True
    report_params: Callable[[Period, int | None], dict[str, Any]] | None = None
    derived: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    report_aliases: tuple[str, ...] = ()  # names the same report has in some tenants

    def run(
        self,
        conn: Any,
        period: Any = "last_month",
        *,
        business_unit: int | None = None,
        now: datetime | None = None,
    ) -> RecipeResult:
        """Answer the question for `period` (a tenant-time preset, `(first, last)` dates or a `Period`)."""
        instant = now or _connection_now(conn)
        resolved = Period.resolve(period, str(conn.timezone), instant)
        unit = business_unit if self.by_business_unit else None
        fetcher = Fetcher(conn)
        ledger = ledger_rows(self.build(fetcher, resolved, unit))
        return RecipeResult(self, resolved, unit, ledger, list(fetcher.pulls), conn)

    def reconcile(
        self,
        conn: Any,
        period: Any = "last_month",
        *,
        business_unit: int | None = None,
        report: pl.DataFrame | None = None,
        now: datetime | None = None,
    ) -> Reconciliation:
        """`run(...)` then `reconcile(report=...)` in one call."""
        return self.run(conn, period, business_unit=business_unit, now=now).reconcile(report=report)

    def params_for(self, period: Period, business_unit: int | None) -> dict[str, Any]:
        if self.report_params is not None:
            return self.report_params(period, business_unit)
        params: dict[str, Any] = period.report_params()
        if business_unit is not None:
            params["BusinessUnitIds"] = [business_unit]
        return params


def _connection_now(conn: Any) -> datetime:
    clock = getattr(conn, "_clock", None)
    now = clock.utcnow() if clock is not None else None
    return now if isinstance(now, datetime) else datetime.now().astimezone()


@dataclass
class RecipeResult:
    """A recipe's answer: `frame` (one row per key, one column per figure), the `ledger` behind it, the
    pulls it made (`requests`), and `reconcile()`."""

    recipe: Recipe
    period: Period
    business_unit: int | None
    ledger: pl.DataFrame
    pulls: list[Pull]
    conn: Any = field(repr=False, default=None)

    @property
    def requests(self) -> int:
        """Requests (pages) the recipe sent to the list endpoints."""
        return sum(p.requests for p in self.pulls)

    @property
    def frame(self) -> pl.DataFrame:
        """The figures per key in display units (dollars, hours, counts), with derived columns."""
        wide = _wide(self.ledger, self.recipe.figures)
        if self.recipe.derived is not None and wide.height:
            wide = self.recipe.derived(wide)
        return wide

    def totals(self) -> dict[str, float]:
        """Each figure summed over keys, in display units."""
        out: dict[str, float] = {}
        for fig in self.recipe.figures:
            base = self.ledger.filter(pl.col("figure") == fig.name)["amount"].sum()
            out[fig.name] = round(float(base) / fig.per_display, 2)
        return out

    def describe_requests(self) -> str:
        lines = [f"{self.recipe.name}: {plural(self.requests, 'request')} to the list endpoints"]
        lines += [f"  - {p.describe()}" for p in self.pulls]
        return "\n".join(lines)

    def reconcile(self, report: pl.DataFrame | None = None, conn: Any = None) -> Reconciliation:
        """Set the figures beside the report's (`report`: a frame already run, else the report found by
        category and name on `conn` or the recipe's connection) and attribute every difference."""
        pulls: list[Pull] = []
        if report is None:
            fetcher = Fetcher(conn or self.conn)
            params = self.recipe.params_for(self.period, self.business_unit)
            recipe = self.recipe
            report = fetcher.report(
                recipe.report_category, recipe.report_name, aliases=recipe.report_aliases, **params
            )
            pulls = fetcher.pulls
        return Reconciliation.build(self, report, pulls)


def _wide(ledger: pl.DataFrame, figures: Sequence[Figure]) -> pl.DataFrame:
    sums = ledger.group_by(pl.col("key").fill_null(_NO_KEY), "figure").agg(
        pl.col("amount").sum(), pl.col("name").drop_nulls().first()
    )
    keys = (
        sums.select("key", "name")
        .sort("name", "key", nulls_last=True)
        .unique("key", keep="first", maintain_order=True)
    )
    out = keys
    for fig in figures:
        part = sums.filter(pl.col("figure") == fig.name).select(
            "key", fig.display(pl.col("amount")).alias(fig.name)
        )
        out = out.join(part, on="key", how="left")
    fills = [pl.col(f.name).fill_null(0 if f.unit == "count" else 0.0) for f in figures]
    return out.with_columns(fills).with_columns(
        pl.when(pl.col("key") == _NO_KEY).then(None).otherwise(pl.col("key")).alias("key")
    )


@dataclass
class Reconciliation:
    """The recipe's figures beside the report's, per key and figure, with each difference's cause.

    `table`: key, name, figure, baseline (the naive list sum), one column per cause, recipe (baseline plus
    the causes), rounding, report, unexplained; all in display units. `causes`: per figure and cause, the
    amount and how many records are behind it. `rows(cause)`: those records. `ok`: nothing unexplained.
    """

    result: RecipeResult
    report: pl.DataFrame
    table: pl.DataFrame
    cause_rows: pl.DataFrame
    pulls: list[Pull]
    skipped: tuple[str, ...] = ()  # the recipe's figures the report has no field for (not reconciled)

    @classmethod
    def build(cls, result: RecipeResult, report: pl.DataFrame, pulls: list[Pull]) -> Reconciliation:
        recipe = result.recipe
        ledger = result.ledger.with_columns(pl.col("key").fill_null(_NO_KEY))
        present = [f for f in recipe.figures if f.name in report.columns]
        if not present or (recipe.report_key not in report.columns and _label(recipe, report) is None):
            wanted = [recipe.report_key, *[f.name for f in recipe.figures]]
            lacking = [c for c in wanted if c not in report.columns]
            raise ValueError(
                f"report {recipe.report_category}/{recipe.report_name} lacks the "
                f"{'field' if len(lacking) == 1 else 'fields'} {', '.join(lacking)} "
                f"(has: {', '.join(report.columns)})"
            )
        skipped = tuple(f.name for f in recipe.figures if f not in present)
        report = _keyed(report, recipe, ledger)
        names = pl.concat(
            [
                ledger.select("key", "name"),
                report.select(
                    "__key",
                    pl.col(label).cast(pl.String).alias("name")
                    if (label := _label(recipe, report)) is not None
                    else pl.lit(None, dtype=pl.String).alias("name"),
                ).rename({"__key": "key"}),
            ]
        )
        names = names.filter(pl.col("name").is_not_null()).unique("key", keep="first").sort("key")
        keys = pl.concat([ledger.select("key"), report.select(pl.col("__key").alias("key"))]).unique()
        causes = [*recipe.causes]
        tables = []
        rounding_rows = []
        for fig in present:
            mine = ledger.filter(pl.col("figure") == fig.name)
            per_cause = mine.group_by("key", "cause").agg(pl.col("amount").sum())
            wide = keys
            for cause in (BASELINE, *causes):
                part = per_cause.filter(pl.col("cause") == cause).select("key", pl.col("amount").alias(cause))
                wide = wide.join(part, on="key", how="left")
            reported = (
                report.select(
                    pl.col("__key").alias("key"),
                    (pl.col(fig.name).cast(pl.Float64) * fig.per_display).alias("report"),
                )
                .group_by("key")
                .agg(pl.col("report").sum())
            )
            fractional = mine.filter(
                ((pl.col("amount") / fig.resolution) - (pl.col("amount") / fig.resolution).round(0)).abs()
                > 1e-6
            )
            fraction_counts = fractional.group_by("key").agg(pl.len().alias("fractional"))
            wide = (
                wide.join(reported, on="key", how="left")
                .join(fraction_counts, on="key", how="left")
                .with_columns(
                    pl.col([BASELINE, *causes, "report"]).fill_null(0.0), pl.col("fractional").fill_null(0)
                )
                .with_columns(pl.sum_horizontal([BASELINE, *causes]).alias("recipe"))
                .with_columns(_tidy(pl.col("report") - pl.col("recipe")).alias("_diff"))
            )
            within = pl.col("_diff").abs() <= fig.resolution / 2 * pl.col("fractional") + 1e-6
            wide = wide.with_columns(
                pl.when(within).then(pl.col("_diff")).otherwise(0.0).alias(ROUNDING),
                pl.when(within).then(0.0).otherwise(pl.col("_diff")).alias(UNEXPLAINED),
            )
            rounded_keys = wide.filter(pl.col(ROUNDING).abs() > 1e-9)["key"]
            rounding_rows.append(
                fractional.filter(pl.col("key").is_in(rounded_keys.implode())).with_columns(
                    pl.lit(ROUNDING).alias("cause"),
                    pl.lit("split or fractional amount: the report rounds it to the cent (or 0.01 h)").alias(
                        "detail"
                    ),
                )
            )
            display = [
                fig.display(pl.col(c)).cast(pl.Float64).alias(c)
                for c in (BASELINE, *causes, "recipe", ROUNDING, "report", UNEXPLAINED)
            ]
            shown = wide.select("key", pl.lit(fig.name).alias("figure"), *display)
            # shown, the table adds up: baseline + causes = recipe; recipe + rounding + unexplained = report
            shown = shown.with_columns(pl.sum_horizontal([BASELINE, *causes]).round(2).alias("recipe"))
            gap = (pl.col("report") - pl.col("recipe") - pl.col(UNEXPLAINED)).round(2)
            shown = shown.with_columns(
                pl.when(pl.col(UNEXPLAINED) == 0).then(gap).otherwise(pl.col(ROUNDING)).alias(ROUNDING)
            )
            tables.append(shown)
        table = (
            pl.concat(tables)
            .join(names, on="key", how="left")
            .with_columns(pl.when(pl.col("key") < 0).then(None).otherwise(pl.col("key")).alias("key"))
            .select("key", "name", "figure", BASELINE, *causes, "recipe", ROUNDING, "report", UNEXPLAINED)
            .sort("figure", "name", "key", nulls_last=True)
        )
        figure_order = {f.name: i for i, f in enumerate(recipe.figures)}
        table = table.sort(
            pl.col("figure").replace_strict(figure_order, return_dtype=pl.Int64), "name", nulls_last=True
        )
        cause_rows = pl.concat(
            [ledger.filter(pl.col("cause") != BASELINE), *rounding_rows], how="vertical_relaxed"
        )
        cause_rows = cause_rows.filter(pl.col("figure").is_in([f.name for f in present]))
        cause_rows = cause_rows.with_columns(
            pl.when(pl.col("key") < 0).then(None).otherwise(pl.col("key")).alias("key")
        )
        return cls(result, report.drop("__key"), table, cause_rows, pulls, skipped)

    @property
    def figures(self) -> tuple[Figure, ...]:
        """The figures reconciled: the recipe's that the report has a field for."""
        return tuple(f for f in self.result.recipe.figures if f.name not in self.skipped)

    @property
    def unexplained(self) -> float:
        """The sum of absolute unexplained differences, in display units (0 when everything is explained)."""
        return float(self.table[UNEXPLAINED].abs().sum())

    @property
    def ok(self) -> bool:
        return self.unexplained == 0

    @property
    def causes(self) -> pl.DataFrame:
        """Per figure and cause: the amount it moves (display units) and the records behind it."""
        rows = []
        causes = [*self.result.recipe.causes, ROUNDING]
        for fig in self.figures:
            part = self.table.filter(pl.col("figure") == fig.name)
            records = self.cause_rows.filter(pl.col("figure") == fig.name)
            for cause in causes:
                amount = float(part[cause].sum())
                count = records.filter(pl.col("cause") == cause).height
                if count or abs(amount) > 1e-9:
                    rows.append(
                        {"figure": fig.name, "cause": cause, "amount": round(amount, 2), "records": count}
                    )
        return pl.DataFrame(
            rows, schema={"figure": pl.String, "cause": pl.String, "amount": pl.Float64, "records": pl.Int64}
        )

    def rows(self, cause: str | None = None, figure: str | None = None) -> pl.DataFrame:
        """The records behind a cause (all causes when None), amounts in display units."""
        frame = self.cause_rows
        if cause is not None:
            frame = frame.filter(pl.col("cause") == cause)
        if figure is not None:
            frame = frame.filter(pl.col("figure") == figure)
        per = {f.name: f.per_display for f in self.figures}
        return frame.with_columns(
            (pl.col("amount") / pl.col("figure").replace_strict(per, return_dtype=pl.Float64))
            .round(4)
            .alias("amount")
        ).sort("figure", "cause", "key", "record", nulls_last=True)

    def totals(self) -> pl.DataFrame:
        """Per figure: baseline, each cause, recipe, rounding, report and unexplained summed over keys."""
        numeric = [c for c in self.table.columns if c not in ("key", "name", "figure")]
        order = {f.name: i for i, f in enumerate(self.figures)}
        return (
            self.table.group_by("figure")
            .agg(pl.col(numeric).sum().round(2))
            .sort(pl.col("figure").replace_strict(order, return_dtype=pl.Int64))
        )

    def explain(self) -> list[str]:
        """The reconciliation in sentences a product manager reads."""
        recipe = self.result.recipe
        lines = []
        totals = self.totals()
        for fig in self.figures:
            row = totals.filter(pl.col("figure") == fig.name).row(0, named=True)
            fmt = _formatter(fig)
            lines.append(
                f"{fig.name}: the report says {fmt(row['report'])}; the recipe finds {fmt(row['recipe'])}; "
                f"a plain sum over the list endpoints gives {fmt(row[BASELINE])}."
            )
            for cause in (*recipe.causes, ROUNDING):
                amount = row[cause]
                count = self.cause_rows.filter(
                    (pl.col("figure") == fig.name) & (pl.col("cause") == cause)
                ).height
                if abs(amount) > 1e-9 or count:
                    lines.append(
                        f"  - {cause}: {fmt(amount, signed=True)} ({plural(count, 'record')}): "
                        + CAUSE_WORDS.get(cause, "")
                    )
            left = row[UNEXPLAINED]
            lines.append(
                "  - nothing is left unexplained."
                if abs(left) < 1e-9
                else f"  - UNEXPLAINED: {fmt(left, signed=True)}"
            )
        return lines

    def __str__(self) -> str:
        header = (
            f"{self.result.recipe.title}, {self.result.period}: reconciled with report "
            f"'{self.result.recipe.report_name}' ({self.result.recipe.report_category})"
        )
        return "\n".join([header, *self.explain()])


CAUSE_WORDS: Mapping[str, str] = {
    "time zone": "records near midnight belong to another day in the tenant's time zone than in UTC.",
    "date basis": "the report counts a job's invoice when the job was completed, not when it was invoiced.",
    "inactive records": "deleted (inactive) records, or flagged active with another status, are left out.",
    "adjustments": "adjustment invoices are adjustment revenue, by their own date, not completed revenue.",
    "non-job invoices": "invoices without a job count as non-job revenue, not as completed revenue.",
    "non-income items": "only items posted to an income account count: sales tax and other lines do not.",
    "business unit attribution": "revenue goes to each invoice item's business unit, not the invoice's.",
    "technician splits": "a job's revenue is shared between the technicians assigned to it.",
    "call classification": "leads are inbound calls of a minute or more, not excused, not-lead or abandoned.",
    "payments after the period": "payments received after the as-of date were still owed on that date.",
    ROUNDING: "split and fractional amounts are rounded by the report.",
}


def _label(recipe: Recipe, report: pl.DataFrame) -> str | None:
    """The report column naming each key: the recipe's, else a tenant report's usual `Name`."""
    return next((c for c in (recipe.report_label, "Name") if c in report.columns), None)


def _keyed(report: pl.DataFrame, recipe: Recipe, ledger: pl.DataFrame) -> pl.DataFrame:
    """`report` with an Int64 `__key`: its key column, else its names matched to the recipe's keys (a
    tenant's built-in report may carry only names); names the recipe does not know get keys below -1."""
    if recipe.report_key in report.columns:
        return report.with_columns(pl.col(recipe.report_key).cast(pl.Int64).fill_null(_NO_KEY).alias("__key"))
    known = ledger.filter(pl.col("name").is_not_null()).unique("name", keep="first").select("name", "key")
    labels = report.select(pl.col(_label(recipe, report) or "Name").cast(pl.String).alias("name"))
    matched = labels.join(known, on="name", how="left", maintain_order="left")
    surrogate = -2 - pl.int_range(pl.len(), dtype=pl.Int64)
    return report.with_columns(matched.select(pl.coalesce("key", surrogate).alias("__key")).to_series())


def _tidy(expr: pl.Expr) -> pl.Expr:
    """Float noise below a millionth of a base unit is no difference."""
    return pl.when(expr.abs() < 1e-6).then(0.0).otherwise(expr)


def _formatter(fig: Figure) -> Callable[..., str]:
    def fmt(value: float, signed: bool = False) -> str:
        sign = "+" if signed and value > 0 else ""
        if fig.unit == "money":
            return (
                f"{sign}{'-' if value < 0 else ''}${abs(value):,.2f}"
                if signed or value >= 0
                else f"-${abs(value):,.2f}"
            )
        if fig.unit == "hours":
            return f"{sign}{value:,.2f} h"
        return f"{sign}{value:,.0f}"

    return fmt
