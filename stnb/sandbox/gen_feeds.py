"""Feeds derived from modelled records: job history, job cancellation logs and membership status changes.

- `job_history`: one row per job (`jobId`, `history`: the job's events in time order): "Job Booked" at
  `createdOn` by the job's creator; for jobs that reached a technician "Technician Dispatched" and
  "Technician Arrived" around the first appointment's start; then "Job Completed" (at `completedOn`),
  "Job Canceled" or "Job Put On Hold" (at `modifiedOn`) as the job's status says. Event ids are
  `jobId * 10 + n`. `_changedOn` (internal) is the last event's time, the feed's order.
- `job_canceled_logs`: one log per canceled job, created when the job was canceled (its `modifiedOn`).
- `membership_status_changes`: chains that end in each membership's current status, every change from
  one status to another: Expired at `to`, Canceled at `cancellationDate`, Suspended within the term,
  and some active memberships suspended once and reactivated.
- `reviews`: online reviews of completed jobs (customer, business unit, technician of the job; some
  reviews match no technician), published after the job was completed.

Deterministic per (seed, tenant); nested datetimes are RFC 3339 text, as tables keep them.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from stnb.sandbox.gen_base import GenContext

__all__ = ["job_canceled_logs", "job_history", "membership_status_changes", "reviews"]

_RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
_TOOLS = ["Manual", "SmartSchedule", "SmartDispatch"]
_REACHED_TECHNICIAN = ["Dispatched", "InProgress", "Completed"]


def _events(
    frame: pl.DataFrame, n: int, kind: str, at: pl.Expr, employee: pl.Expr, **extra: pl.Expr
) -> pl.DataFrame:
    return frame.select(
        pl.col("id").alias("_job"),
        (pl.col("id") * 10 + n).alias("id"),
        employee.alias("employeeId"),
        pl.lit(kind).alias("eventType"),
        at.alias("_at"),
        extra.get("tool", pl.lit("Manual")).alias("usedSchedulingTool"),
        extra.get("memo", pl.lit("")).alias("memo"),
    )


def job_history(ctx: GenContext, jobs: pl.DataFrame, appointments: pl.DataFrame) -> pl.DataFrame:
    """One row per job with its events (see the module docstring)."""
    d = ctx.draws("feeds", "job-history")
    starts = appointments.select(pl.col("id").alias("firstAppointmentId"), pl.col("start").alias("_appt"))
    frame = jobs.select(
        "id", "jobStatus", "createdOn", "createdById", "modifiedOn", "completedOn", "soldById",
        "firstAppointmentId",
    ).join(starts, on="firstAppointmentId", how="left", maintain_order="left")  # fmt: skip
    appt = pl.coalesce(pl.col("_appt"), pl.col("createdOn") + pl.duration(days=1))
    frame = frame.with_columns(
        _appt=pl.max_horizontal(appt, pl.col("createdOn") + pl.duration(minutes=30)),
        _tech=pl.coalesce(pl.col("soldById"), pl.col("createdById")),
    )
    status = pl.col("jobStatus")
    reached = frame.filter(status.is_in(_REACHED_TECHNICIAN))
    tool = pl.lit(pl.Series(_TOOLS)).gather(d.index(pl.col("id"), "tool", len(_TOOLS), [0.7, 0.2, 0.1]))
    completed = frame.filter(status == "Completed")
    parts = [
        _events(frame, 1, "Job Booked", pl.col("createdOn"), pl.col("createdById")),
        _events(reached, 2, "Technician Dispatched", pl.col("_appt") - pl.duration(minutes=30),
                pl.col("createdById"), tool=tool),
        _events(reached, 3, "Technician Arrived", pl.col("_appt"), pl.col("_tech")),
        _events(completed, 4, "Job Completed", pl.coalesce("completedOn", "modifiedOn"), pl.col("_tech")),
        _events(frame.filter(status == "Canceled"), 4, "Job Canceled", pl.col("modifiedOn"),
                pl.col("createdById"), memo=pl.lit("Canceled by the customer")),
        _events(frame.filter(status == "Hold"), 4, "Job Put On Hold", pl.col("modifiedOn"),
                pl.col("createdById"), memo=pl.lit("Waiting for parts")),
    ]  # fmt: skip
    events = pl.concat(parts, how="vertical").sort("_job", "id")
    grouped = events.group_by("_job", maintain_order=True).agg(
        pl.struct(
            "id",
            "employeeId",
            "eventType",
            pl.col("_at").dt.strftime(_RFC3339).alias("date"),
            "usedSchedulingTool",
            "memo",
        ).alias("history"),
        pl.col("_at").max().dt.truncate("1s").alias("_changedOn"),
    )
    return grouped.select(pl.col("_job").alias("id"), pl.col("_job").alias("jobId"), "history", "_changedOn")


def job_canceled_logs(ctx: GenContext, jobs: pl.DataFrame, reason_ids: list[int]) -> pl.DataFrame:
    """One cancellation log per canceled job, created when the job was canceled."""
    d = ctx.draws("feeds", "job-canceled-logs")
    canceled = jobs.filter(pl.col("jobStatus") == "Canceled").select("id", "createdById", "modifiedOn")
    key = pl.col("id")
    reasons = reason_ids or [1]
    return canceled.select(
        (pl.col("id") * 10 + 7).alias("id"),
        pl.col("id").alias("jobId"),
        pl.lit(pl.Series(reasons)).gather(d.index(key, "reason", len(reasons))).alias("reasonId"),
        pl.lit("Customer canceled").alias("memo"),
        pl.col("createdById"),
        pl.col("modifiedOn").dt.truncate("1s").alias("createdOn"),
        pl.lit(True).alias("active"),
    )


def membership_status_changes(ctx: GenContext, memberships: pl.DataFrame, end: datetime) -> pl.DataFrame:
    """Status chains ending in each membership's current status; never from a status to itself."""
    d = ctx.draws("feeds", "membership-status-changes")
    key = pl.col("id")
    limit = pl.lit(end).dt.cast_time_unit("us")
    base = memberships.select("id", "status", "createdOn", "createdById", "to", "cancellationDate")
    span = (limit - pl.col("createdOn")).dt.total_seconds().clip(lower_bound=3600)

    def at(share: pl.Expr) -> pl.Expr:
        return pl.col("createdOn") + pl.duration(seconds=(span * share).cast(pl.Int64))

    def changes(frame: pl.DataFrame, n: int, old: str, new: str, when: pl.Expr, note: str) -> pl.DataFrame:
        moment = pl.min_horizontal(
            pl.max_horizontal(when, pl.col("createdOn")), limit - pl.duration(seconds=1)
        )
        return frame.select(
            (key * 10 + n).alias("id"),
            key.alias("membershipId"),
            pl.lit(old).alias("oldStatus"),
            pl.lit(new).alias("newStatus"),
            pl.lit(note).alias("note"),
            pl.col("createdById"),
            moment.dt.cast_time_unit("us").dt.truncate("1s").alias("createdOn"),
        )

    status = pl.col("status")
    reactivated = base.filter((status == "Active") & d.bernoulli(key, "reactivated", 0.12))
    parts = [
        changes(base.filter(status == "Expired"), 1, "Active", "Expired",
                pl.coalesce(pl.col("to"), at(pl.lit(0.9))), "Term ended"),
        changes(base.filter(status == "Canceled"), 1, "Active", "Canceled",
                pl.coalesce(pl.col("cancellationDate"), at(pl.lit(0.7))), "Canceled by the customer"),
        changes(base.filter(status == "Suspended"), 1, "Active", "Suspended",
                at(d.uniform(key, "suspend") * 0.5 + 0.4), "Suspended"),
        changes(reactivated, 1, "Active", "Suspended",
                at(d.uniform(key, "pause") * 0.3 + 0.2), "Payment paused"),
        changes(reactivated, 2, "Suspended", "Active",
                at(d.uniform(key, "resume") * 0.2 + 0.6), "Reactivated"),
    ]  # fmt: skip
    return pl.concat(parts, how="vertical").sort("id")


def reviews(
    ctx: GenContext,
    jobs: pl.DataFrame,
    customers: pl.DataFrame,
    technicians: pl.DataFrame,
    assignments: pl.DataFrame,
) -> pl.DataFrame:
    """Online reviews of about one completed job in twelve: the job's customer, business unit and
    technician (none for about one review in seven: a review the platform could not match to one)."""
    d = ctx.draws("feeds", "reviews")
    key = pl.col("id")
    done = jobs.filter((pl.col("jobStatus") == "Completed") & d.bernoulli(key, "reviewed", 1 / 12))
    names = customers.select(pl.col("id").alias("customerId"), pl.col("name").alias("customerName"))
    techs = technicians.select(pl.col("id").alias("_tech"), pl.col("name").alias("_techName"))
    first_tech = assignments.group_by("jobId").agg(pl.col("technicianId").first().alias("_assigned"))
    frame = (
        done.select("id", "customerId", "businessUnitId", "completedOn", "soldById")
        .join(first_tech, left_on="id", right_on="jobId", how="left", maintain_order="left")
        .with_columns(soldById=pl.coalesce("_assigned", "soldById"))
        .join(names, on="customerId", how="left", maintain_order="left")
        .join(techs, left_on="soldById", right_on="_tech", how="left", maintain_order="left")
    )
    matched = ~d.bernoulli(key, "no-technician", 1 / 7)
    published = pl.col("completedOn") + pl.duration(hours=d.integers(key, "publish", 2, 240))
    created = published + pl.duration(minutes=d.integers(key, "pulled", 5, 600))
    modified = created + pl.duration(hours=(d.uniform(key, "edited") ** 4 * 200).cast(pl.Int64))
    rating = pl.lit(pl.Series([1.0, 2.0, 3.0, 4.0, 5.0])).gather(
        d.index(key, "rating", 5, [0.04, 0.03, 0.06, 0.17, 0.70])
    )
    return frame.select(
        (pl.col("id") * 10 + 9).alias("id"),
        (pl.col("id") * 10 + 9).alias("internalId"),
        pl.col("id").alias("jobId"),
        "customerId",
        "customerName",
        pl.col("businessUnitId").cast(pl.Int64),
        pl.when(matched).then(pl.col("soldById")).alias("technicianId"),
        pl.when(matched).then(pl.col("_techName")).alias("technicianFullName"),
        rating.alias("rating"),
        pl.lit("Google").alias("platform"),
        pl.col("completedOn").alias("completedDate"),
        published.dt.truncate("1s").alias("publishDate"),
        created.dt.truncate("1s").alias("createdOn"),
        modified.dt.truncate("1s").alias("modifiedOn"),
    )
