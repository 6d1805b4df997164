"""Membership retention and churn per membership type.

A membership is active from its creation until its end: the cancellation date (Canceled), its `to`
date (Expired), its last change (Suspended), never (Active). The record's `active` flag is not that
status (ServiceTitan keeps expired memberships `active: true`). Pulls: memberships created before the
period's end (one filtered pull) and the membership types' names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from stnb.recipes.core import BASELINE, Figure, Recipe, ledger_rows
from stnb.recipes.fetch import Fetcher
from stnb.recipes.marketing import _local_day, _steps
from stnb.recipes.period import Period
from stnb.recipes.revenue import in_window

__all__ = ["MEMBERSHIP_RETENTION"]


def _active_at(instant: datetime) -> pl.Expr:
    return (pl.col("created") < pl.lit(instant)) & (
        pl.col("ended").is_null() | (pl.col("ended") >= pl.lit(instant))
    )


def _flag_at(instant: datetime) -> pl.Expr:
    """The naive reading: created before the instant and flagged `active`."""
    return (pl.col("created") < pl.lit(instant)) & pl.col("flag")


def _membership_ledger(f: Fetcher, p: Period, _unit: int | None) -> pl.DataFrame:
    raw = f.frame("memberships/memberships", active="any", createdBefore=p.outer_end)
    types = f.frame("memberships/membership-types", active="any").select(
        pl.col("id").alias("key"), pl.col("name")
    )
    if raw.height == 0:
        return ledger_rows(pl.DataFrame(schema={"key": pl.Int64}))
    ended = (
        pl.when(pl.col("status") == "Canceled")
        .then(pl.col("cancellationDate"))
        .when(pl.col("status") == "Expired")
        .then(pl.col("to"))
        .when(pl.col("status") == "Suspended")
        .then(pl.col("modifiedOn"))
    )
    m = (
        raw.filter(pl.col("status") != "Deleted")
        .select(
            "id",
            pl.col("membershipTypeId").alias("key"),
            pl.col("createdOn").alias("created"),
            ended.alias("ended"),
            pl.col("status"),
            pl.col("active").fill_null(True).alias("flag"),
        )
        .join(types, on="key", how="left")
    )
    record = pl.format("membership {}", pl.col("id"))
    status = pl.format(
        "flag active={}, status {} (ended {})",
        pl.col("flag"),
        pl.col("status"),
        pl.col("ended").dt.convert_time_zone(p.tz).dt.strftime("%Y-%m-%d"),
    )
    parts: list[pl.DataFrame] = []
    for figure, instant, utc_instant in (
        ("ActiveAtStart", p.start, p.utc_start),
        ("ActiveAtEnd", p.end, p.utc_end),
    ):
        parts += _steps(
            m,
            figure,
            [
                (BASELINE, _flag_at(utc_instant), pl.lit("flagged active")),
                (
                    "time zone",
                    _flag_at(instant),
                    pl.format("created {} (local day)", _local_day("created", p.tz)),
                ),
                ("inactive records", _active_at(instant) & pl.col("flag"), status),
            ],
            pl.lit(1),
            record,
        )
    created_tz = pl.format(
        "created {} UTC: local day {}",
        pl.col("created").dt.strftime("%Y-%m-%d %H:%M"),
        _local_day("created", p.tz),
    )
    parts += _steps(
        m.filter(pl.col("flag")),
        "NewSales",
        [
            (BASELINE, in_window("created", p.utc_start, p.utc_end), pl.lit("created")),
            ("time zone", in_window("created", p.start, p.end), created_tz),
        ],
        pl.lit(1),
        record,
    )
    ended_tz = pl.format(
        "ended {} UTC: local day {}", pl.col("ended").dt.strftime("%Y-%m-%d %H:%M"), _local_day("ended", p.tz)
    )
    for figure, state in (("Canceled", "Canceled"), ("Expired", "Expired")):
        mine = m.filter(pl.col("flag") & (pl.col("status") == state))
        parts += _steps(
            mine,
            figure,
            [
                (BASELINE, in_window("ended", p.utc_start, p.utc_end).fill_null(False), pl.lit(state)),
                ("time zone", in_window("ended", p.start, p.end).fill_null(False), ended_tz),
            ],
            pl.lit(1),
            record,
        )
    ledger = pl.concat([ledger_rows(x) for x in parts])
    return ledger.filter((pl.col("cause") != BASELINE) | (pl.col("amount") != 0))


def _derived(frame: pl.DataFrame) -> pl.DataFrame:
    lost = pl.col("Canceled") + pl.col("Expired")
    churn = (
        pl.when(pl.col("ActiveAtStart") > 0).then((lost / pl.col("ActiveAtStart")).round(4)).otherwise(None)
    )
    return frame.with_columns(churn.alias("ChurnRate")).with_columns(
        (1 - pl.col("ChurnRate")).round(4).alias("RetentionRate")
    )


def _params(p: Period, _unit: int | None) -> dict[str, Any]:
    return p.report_params()


MEMBERSHIP_RETENTION = Recipe(
    name="membership_retention",
    title="Membership retention and churn",
    question="How many memberships did we keep, win and lose in the period, per membership type?",
    report_category="marketing",
    report_name="Membership Summary",
    report_key="MembershipTypeId",
    report_label="MembershipType",
    key_label="membership type",
    figures=(
        Figure("ActiveAtStart", "count"),
        Figure("NewSales", "count"),
        Figure("Canceled", "count"),
        Figure("Expired", "count"),
        Figure("ActiveAtEnd", "count"),
    ),
    causes=("time zone", "inactive records"),
    build=_membership_ledger,
    by_business_unit=False,
    report_params=_params,
    derived=_derived,
)
