"""`stnb recipe list|run`: business questions answered from the list endpoints and reconciled with
ServiceTitan's reports (see `stnb.recipes`).

`run` prints the recipe's table, the requests it sent, and the reconciliation with its report (each
difference with its cause); `--out` writes the table to Parquet or CSV by the file's extension. Exit code
1 when the reconciliation leaves something unexplained. Heavy modules load only when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from stnb._text import plural
from stnb.cli.common import add_connection_arguments, connection_options
from stnb.errors import StnbError
from stnb.tenant_time import PRESETS, preset_days

if TYPE_CHECKING:
    from stnb._clock import Clock

__all__ = ["list_recipes", "register", "run_recipe"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `recipe list` and `recipe run`."""
    recipe = subparsers.add_parser(
        "recipe", help="business questions, reconciled with ServiceTitan's reports"
    )
    commands = recipe.add_subparsers(dest="recipe_command", metavar="COMMAND")
    recipe.set_defaults(func=lambda args: _usage(recipe))

    listing = commands.add_parser("list", help="the recipes, the question each answers and its report")
    listing.set_defaults(func=lambda a: list_recipes())

    run = commands.add_parser("run", help="run a recipe and reconcile it with its report")
    run.add_argument("name", help="recipe name (`stnb recipe list` shows them)")
    run.add_argument(
        "--period",
        type=_period,
        default="last_month",
        help=f"tenant-local period: {', '.join(PRESETS)}, last_N_days or FIRST..LAST (default last_month)",
    )
    run.add_argument(
        "--business-unit", type=int, metavar="ID", help="only this business unit (where it applies)"
    )
    run.add_argument("--out", type=Path, help="FILE.parquet or FILE.csv for the recipe's table")
    run.add_argument("--no-reconcile", action="store_true", help="skip the report run and the reconciliation")
    add_connection_arguments(run)
    run.set_defaults(
        func=lambda a: run_recipe(
            a.name,
            period=a.period,
            business_unit=a.business_unit,
            out_path=a.out,
            reconcile=not a.no_reconcile,
            **connection_options(a),
        )
    )


def _period(text: str) -> str:
    """A preset name or FIRST..LAST (YYYY-MM-DD), checked before connecting."""
    if ".." in text:
        first, _, last = text.partition("..")
        from datetime import date

        try:
            if date.fromisoformat(last) < date.fromisoformat(first):
                raise argparse.ArgumentTypeError(f"period {text!r} ends before it starts")
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"period {text!r} is not FIRST..LAST as YYYY-MM-DD dates"
            ) from None
        return text
    try:
        preset_days(text, "UTC")
    except (ValueError, StnbError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def list_recipes(out: TextIO | None = None) -> int:
    """Print each recipe: name, the question it answers, the report it reconciles with."""
    from stnb import recipes

    out = out or sys.stdout
    for recipe in recipes.RECIPES.values():
        unit = "" if recipe.by_business_unit else " (whole company)"
        print(f"{recipe.name}{unit}", file=out)
        print(f"    {recipe.question}", file=out)
        print(f"    reconciles with: {recipe.report_category} / {recipe.report_name}", file=out)
    print(
        f"{len(recipes.RECIPES)} recipes; run one with `stnb recipe run NAME --period last_month`", file=out
    )
    return 0


def run_recipe(
    name: str,
    *,
    period: str = "last_month",
    business_unit: int | None = None,
    out_path: Path | None = None,
    reconcile: bool = True,
    env: str | None = None,
    profile: str | None = None,
    tenant: str | None = None,
    sandbox: Any = None,
    transport: Any = None,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """Run recipe `name` for `period`, print (or write) its table, its requests and its reconciliation."""
    import polars as pl

    import stnb
    from stnb import recipes

    out = out or sys.stdout
    if out_path is not None and out_path.suffix.lower() not in (".parquet", ".csv"):
        return _fail(f"--out must end in .parquet or .csv, got {out_path.name}")
    try:
        recipe = recipes.get(name)
    except recipes.UnknownRecipeError as exc:
        return _fail(str(exc))
    when: Any = tuple(period.split("..", 1)) if ".." in period else period
    try:
        with stnb.connect(env, profile, tenant, sandbox=sandbox, transport=transport, clock=clock) as st:
            result = recipe.run(st, when, business_unit=business_unit)
            check = result.reconcile() if reconcile else None
            where = f"{st.env} tenant {st.tenant}{' (sandbox)' if st.sandbox else ''}"
    except (StnbError, recipes.ReportNotFoundByName) as exc:
        return _fail(str(exc))
    print(f"# {recipe.title}: {result.period}, {where}", file=out)
    frame = result.frame
    if out_path is None:
        with pl.Config(tbl_rows=60, tbl_cols=20, tbl_width_chars=180, tbl_hide_dataframe_shape=True):
            print(frame, file=out)
    elif out_path.suffix.lower() == ".csv":
        frame.write_csv(out_path)
        print(f"wrote {plural(frame.height, 'row')} to {out_path}", file=out)
    else:
        frame.write_parquet(out_path)
        print(f"wrote {plural(frame.height, 'row')} to {out_path}", file=out)
    print(result.describe_requests(), file=out)
    if check is None:
        return 0
    print(str(check), file=out)
    return 0 if check.ok else 1


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(message: str) -> int:
    print(f"stnb recipe: error: {message}", file=sys.stderr)
    return 1
