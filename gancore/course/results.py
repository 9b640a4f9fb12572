"""Results tables rendered from a chapter's metrics and its book.yml ``results`` rows, never typed by hand.

A row of ``results`` in book.yml names a metric key and, optionally, the key of the simplest baseline,
the key of the real-data floor (or ceiling), what the book reports and a target for the ``quick`` profile:

    results:
      - {label: "domain FD", key: domain_fd, better: lower, baseline: blurred_fd, floor: real_fd_floor,
         book: "not measured", target: "<= 80"}
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TARGET_PROFILE = "quick"
_OPERATORS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}
_TARGET = re.compile(r"^\s*(<=|>=|<|>|==)\s*(-?[0-9][0-9_.eE+-]*)\s*$")


@dataclass(frozen=True)
class ResultRow:
    """One line of a chapter's results table, as declared in book.yml."""

    label: str
    key: str
    better: str | None = None  # "lower" or "higher"
    baseline: str | None = None  # metric key of the simplest baseline a learner could write
    floor: str | None = None  # metric key of real data scored the same way (the floor or ceiling)
    book: Any = None  # what the book reports (a number or a phrase)
    target: str | None = None  # e.g. "<= 80": what the quick profile should reach

    @classmethod
    def from_yaml(cls, entry: Mapping[str, Any], where: str = "book.yml") -> ResultRow:
        unknown = set(entry) - set(cls.__dataclass_fields__)
        if unknown or "label" not in entry or "key" not in entry:
            raise ValueError(f"{where}: a results row needs label and key, and knows only "
                             f"{sorted(cls.__dataclass_fields__)}; got {dict(entry)}")
        if entry.get("better") not in (None, "lower", "higher"):
            raise ValueError(f"{where}: better must be 'lower' or 'higher', not {entry['better']!r}")
        if entry.get("target") is not None:
            parse_target(entry["target"])
        return cls(**{k: (str(v) if k == "target" else v) for k, v in entry.items()})


def parse_target(text: str) -> tuple[str, float]:
    """``"<= 80"`` -> ``("<=", 80.0)``; a clear error for anything else."""
    match = _TARGET.match(str(text))
    if not match:
        raise ValueError(f"Target {text!r} is not a comparison such as '<= 80' or '>= 0.9'")
    return match.group(1), float(match.group(2))


def meets(value: Any, target: str | None) -> bool | None:
    """Whether ``value`` satisfies ``target`` (None when there is no target or no finite value)."""
    if target is None or not _finite(value):
        return None
    op, bound = parse_target(target)
    return bool(_OPERATORS[op](float(value), bound))


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def format_value(value: Any) -> str:
    """Numbers with four significant digits (integers in full), None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    return str(value)


def evaluate(metrics: Mapping[str, Any], rows: Sequence[ResultRow]) -> list[dict[str, Any]]:
    """Each row with its measured values looked up in ``metrics`` and whether the target is met."""
    table = []
    for row in rows:
        value = metrics.get(row.key)
        table.append({
            "label": row.label, "key": row.key, "value": value, "better": row.better,
            "baseline": metrics.get(row.baseline) if row.baseline else None,
            "floor": metrics.get(row.floor) if row.floor else None,
            "book": row.book, "target": row.target, "met": meets(value, row.target),
        })
    return table


def to_markdown(table: Sequence[Mapping[str, Any]], profile: str) -> str:
    """A Markdown table: measure, ours, baseline, real data, the book, and the quick target."""
    lines = [f"| measure | ours ({profile}) | simplest baseline | real data | the book | target ({TARGET_PROFILE}) |",
             "|---|---:|---:|---:|---|---|"]
    for r in table:
        direction = {"lower": " (lower is better)", "higher": " (higher is better)"}.get(r["better"] or "", "")
        target = "-" if r["target"] is None else r["target"]
        if r["target"] is not None:
            target += {True: " met", False: " **not met**", None: " (no value)"}[r["met"]]
        cells = [r["label"] + direction, format_value(r["value"]), format_value(r["baseline"]),
                 format_value(r["floor"]), format_value(r["book"]), target]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def book_markdown(book: Mapping[str, Any]) -> str:
    """What the book reports (the chapter's ``book`` entry) as a two-column table."""
    lines = ["| the book reports | |", "|---|---|"]
    lines += [f"| {k.replace('_', ' ')} | {format_value(v)} |" for k, v in book.items()]
    return "\n".join(lines) + "\n"


def targets_summary(table: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows that carry a target, reduced to what a run report keeps."""
    return [{"label": r["label"], "key": r["key"], "value": r["value"], "target": r["target"], "met": r["met"]}
            for r in table if r["target"] is not None]
