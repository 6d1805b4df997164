"""Recipes: the first business questions integrators answer, from the list endpoints, reconciled with
ServiceTitan's own reports (analysis layer: frames in, frames out; charts live in `stnb.charts.recipes`).

    import stnb
    from stnb import recipes
    st = stnb.connect()
    result = recipes.get("revenue_by_business_unit").run(st, "last_month")
    result.frame                 # one row per business unit, one column per figure
    check = result.reconcile()   # the Reporting API's figures beside the recipe's, causes named
    check.ok, check.causes, check.rows("date basis")

Each recipe reads only what its period needs (filtered pulls; records by id), counts its requests
(`result.requests`, `result.describe_requests()`), and finds its report by category and name.
"""

from __future__ import annotations

import polars as pl

from stnb.recipes.core import BASELINE, ROUNDING, Figure, Recipe, RecipeResult, Reconciliation
from stnb.recipes.fetch import Fetcher, Pull, ReportNotFoundByName
from stnb.recipes.marketing import CAMPAIGN_ATTRIBUTION
from stnb.recipes.memberships import MEMBERSHIP_RETENTION
from stnb.recipes.period import Period
from stnb.recipes.receivables import RECEIVABLES_AGING
from stnb.recipes.revenue import REVENUE_BY_BUSINESS_UNIT, REVENUE_BY_TECHNICIAN
from stnb.recipes.utilization import TECHNICIAN_UTILIZATION

__all__ = [
    "BASELINE",
    "RECIPES",
    "ROUNDING",
    "Fetcher",
    "Figure",
    "Period",
    "Pull",
    "Recipe",
    "RecipeResult",
    "Reconciliation",
    "ReportNotFoundByName",
    "UnknownRecipeError",
    "get",
    "names",
    "overview",
]

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        REVENUE_BY_BUSINESS_UNIT,
        REVENUE_BY_TECHNICIAN,
        CAMPAIGN_ATTRIBUTION,
        MEMBERSHIP_RETENTION,
        RECEIVABLES_AGING,
        TECHNICIAN_UTILIZATION,
    )
}


class UnknownRecipeError(LookupError):
    """No recipe of that name."""


def names() -> list[str]:
    return list(RECIPES)


def get(name: str) -> Recipe:
    """The recipe called `name` (see `names()`)."""
    recipe = RECIPES.get(name)
    if recipe is None:
        import difflib

        close = difflib.get_close_matches(str(name), RECIPES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownRecipeError(f"no recipe named {name!r}.{hint} Recipes: {', '.join(RECIPES)}")
    return recipe


def overview() -> pl.DataFrame:
    """One row per recipe: name, title, the question it answers and the report it reconciles with."""
    return pl.DataFrame(
        [
            {
                "name": r.name,
                "title": r.title,
                "question": r.question,
                "report": f"{r.report_category} / {r.report_name}",
                "figures": ", ".join(f.name for f in r.figures),
                "by_business_unit": r.by_business_unit,
            }
            for r in RECIPES.values()
        ]
    )
