"""The solver-free plan checker and objective evaluator.

``evaluate(prepared, plan)`` checks a plan against the hard rules of DESIGN.md, read
directly from the rules and the prepared view (it shares no code with the engines), and
recomputes the objective and the key figures. The parts, one concern each:
``models.check_context`` (the plan in minutes, indexed), ``models.check_rules`` (one function
per hard rule) and ``models.check_objective`` (the objective terms and KPIs). ``load_plan``
reads a plan file to check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.check_context import Context, Violation
from models.check_objective import key_figures, objective_terms
from models.check_rules import CHECKS
from models.io import read_text
from models.plan import Plan
from models.prepare import Prepared
from models.problems import ScenarioError, describe_errors


@dataclass(frozen=True)
class Evaluation:
    """The checker's verdict on a plan: violations, objective by term, key figures."""

    violations: list[Violation]
    terms: dict[str, float]
    objective: float
    kpis: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when the plan keeps every hard rule."""
        return not self.violations


# -- entry points --------------------------------------------------------------------------
def evaluate(prepared: Prepared, plan: Plan) -> Evaluation:
    """Check ``plan`` against every hard rule and recompute its objective and KPIs.

    Parameters
    ----------
    prepared
        The prepared view of the scenario the plan was made for.
    plan
        The plan to check; it is not changed.

    Returns
    -------
    Evaluation
        Violations (empty when the plan is valid), objective terms, objective, KPIs.
    """
    ctx = Context(prepared, plan)
    violations = [found for check in CHECKS for found in check(ctx)]
    terms = objective_terms(ctx)
    return Evaluation(violations, terms, sum(terms.values()), key_figures(ctx))


def load_plan(path: str | Path) -> Plan:
    """Read a plan JSON file; bad JSON or fields raise ScenarioError, one line per problem."""
    source = str(path)
    text = read_text(Path(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(source, [f"line {error.lineno}, column {error.colno}: "
                                     f"JSON syntax error: {error.msg}"]) from None
    if not isinstance(data, dict):
        raise ScenarioError(source, [f"the top level must be an object, not {type(data).__name__}"])
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, describe_errors(error, Plan)) from None
