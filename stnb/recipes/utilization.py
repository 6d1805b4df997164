"""Technician utilization: hours booked on assigned appointments against hours available.

Booked hours are the part of each assigned visit inside the period's local days (a visit across local
midnight is split there). Available hours: 8 per local weekday (Monday to Friday) for every active
technician and any other with booked hours; the demo world has no shift data, so this is a stated
assumption, the same the sandbox's report makes. Pulls: the appointments starting in the period (from
the day before, one filtered pull), their assignments (by appointment id) and the technicians.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from stnb.recipes.core import BASELINE, Figure, Recipe, ledger_rows
from stnb.recipes.fetch import Fetcher
from stnb.recipes.period import Period

__all__ = ["AVAILABLE_HOURS_PER_WEEKDAY", "TECHNICIAN_UTILIZATION"]

AVAILABLE_HOURS_PER_WEEKDAY = 8


def _overlap(start: object, end: object) -> pl.Expr:
    seconds = pl.min_horizontal(pl.col("end"), pl.lit(end)) - pl.max_horizontal(
        pl.col("start"), pl.lit(start)
    )
    return seconds.dt.total_seconds().clip(lower_bound=0)


def _weekdays(p: Period) -> int:
    return sum(1 for n in range(p.days()) if (p.first + timedelta(days=n)).weekday() < 5)


def _utilization_ledger(f: Fetcher, p: Period, unit: int | None) -> pl.DataFrame:
    appointments = f.frame(
        "jpm/appointments", startsOnOrAfter=p.outer_start - timedelta(days=1), startsBefore=p.outer_end
    )
    technicians = f.frame("settings/technicians", active="any").select(
        pl.col("id").alias("key"), "name", "active", pl.col("businessUnitId").alias("unit")
    )
    parts: list[pl.DataFrame] = []
    booked_keys: list[int] = []
    if appointments.height:
        visits = appointments.filter(pl.col("status") != "Canceled").select(
            pl.col("id").alias("appointment_id"), "start", "end"
        )
        assignments = f.by_ids(
            "dispatch/appointment-assignments",
            visits["appointment_id"].to_list(),
            param="appointmentIds",
            active="true",
        )
        if assignments.height:
            v = (
                assignments.select(
                    pl.col("appointmentId").alias("appointment_id"), pl.col("technicianId").alias("key")
                )
                .unique()
                .join(visits, on="appointment_id", how="inner")
                .join(technicians, on="key", how="left")
                .with_columns(
                    _overlap(p.utc_start, p.utc_end).alias("utc"),
                    _overlap(p.start, p.end).alias("local"),
                    pl.format("appointment {}", pl.col("appointment_id")).alias("record"),
                    pl.lit("BookedHours").alias("figure"),
                )
            )
            if unit is not None:
                v = v.filter(pl.col("unit") == unit)
            span = pl.format(
                "visit {} to {} local",
                pl.col("start").dt.convert_time_zone(p.tz).dt.strftime("%Y-%m-%d %H:%M"),
                pl.col("end").dt.convert_time_zone(p.tz).dt.strftime("%Y-%m-%d %H:%M"),
            )
            parts.append(
                v.with_columns(
                    pl.lit(BASELINE).alias("cause"),
                    pl.col("utc").cast(pl.Float64).alias("amount"),
                    pl.lit("hours inside the UTC days").alias("detail"),
                )
            )
            parts.append(
                v.with_columns(
                    pl.lit("time zone").alias("cause"),
                    (pl.col("local") - pl.col("utc")).cast(pl.Float64).alias("amount"),
                    span.alias("detail"),
                )
            )
            booked_keys = v.filter(pl.col("local") > 0)["key"].unique().to_list()
    available = float(AVAILABLE_HOURS_PER_WEEKDAY * _weekdays(p) * 3600)
    techs = technicians if unit is None else technicians.filter(pl.col("unit") == unit)
    techs = techs.with_columns(
        pl.lit("AvailableHours").alias("figure"),
        pl.format("technician {}", pl.col("key")).alias("record"),
    )
    parts.append(
        techs.filter(pl.col("active")).with_columns(
            pl.lit(BASELINE).alias("cause"),
            pl.lit(available).alias("amount"),
            pl.lit("active technician").alias("detail"),
        )
    )
    parts.append(
        techs.filter(~pl.col("active") & pl.col("key").is_in(booked_keys)).with_columns(
            pl.lit("inactive records").alias("cause"),
            pl.lit(available).alias("amount"),
            pl.lit("inactive technician with booked hours: the report lists them too").alias("detail"),
        )
    )
    ledger = pl.concat([ledger_rows(x) for x in parts])
    return ledger.filter((pl.col("cause") != BASELINE) | (pl.col("amount") != 0))


def _derived(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col("AvailableHours") > 0)
        .then((pl.col("BookedHours") / pl.col("AvailableHours")).round(4))
        .otherwise(None)
        .alias("Utilization")
    )


TECHNICIAN_UTILIZATION = Recipe(
    name="technician_utilization",
    title="Technician utilization",
    question="How much of each technician's available time was booked on appointments?",
    report_category="technician-dashboard",
    report_name="Technician Utilization",
    report_key="TechnicianId",
    report_label="Name",
    key_label="technician",
    figures=(Figure("BookedHours", "hours"), Figure("AvailableHours", "hours")),
    causes=("time zone", "inactive records"),
    build=_utilization_ledger,
    derived=_derived,
)
