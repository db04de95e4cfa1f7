"""Compare a scan with a previous report: which groups are new, grown, unchanged or gone.

Group ids derive from a group's smallest account id, so a group that gains a smaller
member changes id; ranks move every day. Groups are therefore matched on what they
are — their accounts, and their top template fingerprints:

* ``account_overlap`` = shared accounts / the smaller group's size (a group that grew,
  shrank, merged or split still overlaps fully with what it came from);
* ``template_jaccard`` = Jaccard of the two groups' reported template fingerprints;
* ``similarity`` = (2 × account_overlap + template_jaccard) / 3.

A current group matches the baseline group with the highest similarity, when it is
at least MATCH_THRESHOLD (so at least one shared account is needed: templates alone
reach 1/3); ties go to the higher account Jaccard, then more shared accounts, then the
better baseline rank, then the smaller baseline id. Status:

* ``new``: no baseline group matches;
* ``grown``: it matches and has at least GROWTH_PERCENT (20%) of the matched group's
  size in accounts that were in no baseline group (and at least one), or at least 20%
  more requests than the matched group, or a more severe severity;
* ``unchanged``: it matches and did not grow.

A baseline group that no current group matches (at any severity) is ``gone``; one
matched only by allowlisted groups is listed as ``now_suppressed`` instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from distillscan.errors import UsageError
from distillscan.model.groups import SEVERITIES, GroupReport
from distillscan.model.triage import BaselineComparison
from distillscan.textfiles import read_text_file

if TYPE_CHECKING:

    from distillscan.model.scan import ScanResult
    from distillscan.model.triage import Suppression

MATCH_THRESHOLD: Final = 0.5
GROWTH_PERCENT: Final = 20
REPORT_HINT: Final = "pass a report written by `distillscan scan --format json` or an export's groups.json"


class BaselineError(UsageError):
    """The baseline file is not a distillscan report this version can read (exit 2)."""


@dataclass(frozen=True)
class Baseline:
    """The groups of a previous report, as frames."""

    source: str
    schema_version: int
    groups: pl.DataFrame
    """baseline_group_id, rank, severity, score, n_accounts, n_requests."""
    members: pl.DataFrame
    """baseline_group_id, account_id."""
    templates: pl.DataFrame
    """baseline_group_id, template (fingerprint)."""


_GROUP_SCHEMA: Final = {
    "baseline_group_id": pl.String, "rank": pl.Int64, "severity": pl.String,
    "score": pl.Float64, "n_accounts": pl.Int64, "n_requests": pl.Int64,
}


def load_baseline(path: str | Path, supported_version: int) -> Baseline:
    """Read a previous `--format json` report (or an export's groups.json)."""
    text = read_text_file(
        path, "baseline", error_type=BaselineError,
        not_text=f"not a distillscan report (not UTF-8 text); {REPORT_HINT}",
    )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        hint = " (one JSON object per line: a --format jsonl report?)" if error.msg == "Extra data" else ""
        raise BaselineError(
            f"baseline {path}: not a distillscan report (not JSON: {error.msg} at line {error.lineno}){hint}; "
            f"{REPORT_HINT}"
        ) from None
    return parse_baseline(document, str(path), supported_version)


def parse_baseline(document: Any, source: str, supported_version: int) -> Baseline:
    """Validate a parsed report and turn its groups into frames; BaselineError if it is
    not a distillscan report of a schema version this release reads."""
    def fail(reason: str) -> BaselineError:
        return BaselineError(f"baseline {source}: {reason}")

    if not isinstance(document, dict) or "schema_version" not in document:
        raise fail(f"not a distillscan report (no schema_version); {REPORT_HINT}")
    tool = document.get("summary", {}).get("tool", {}) if isinstance(document.get("summary"), dict) else {}
    if not isinstance(tool, dict) or tool.get("name") != "distillscan":
        raise fail(f"not a distillscan report (summary.tool.name is not 'distillscan'); {REPORT_HINT}")
    version = document["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(f"schema_version {version!r} is not a report schema version")
    if version > supported_version:
        raise fail(
            f"schema_version {version} was written by a newer distillscan ({tool.get('version', '?')}); "
            f"this one reads up to {supported_version}: upgrade, or regenerate the baseline"
        )
    groups = document.get("groups")
    if not isinstance(groups, list):
        raise fail("'groups' is missing or not a list")
    rows: list[tuple[Any, ...]] = []
    members: list[tuple[str, str]] = []
    templates: list[tuple[str, str]] = []
    for index, group in enumerate(groups):
        rows.append(_group_row(group, index, fail))
        group_id = group["group_id"]
        members.extend((group_id, account) for account in group["accounts"])
        templates.extend((group_id, template["template"]) for template in group["templates"])
    return Baseline(
        source=source,
        schema_version=version,
        groups=pl.DataFrame(rows, schema=_GROUP_SCHEMA, orient="row"),
        members=pl.DataFrame(members, schema={"baseline_group_id": pl.String, "account_id": pl.String},
                             orient="row").unique().sort("baseline_group_id", "account_id"),
        templates=pl.DataFrame(templates, schema={"baseline_group_id": pl.String, "template": pl.String},
                               orient="row").unique().sort("baseline_group_id", "template"),
    )


def _group_row(group: Any, index: int, fail: Any) -> tuple[Any, ...]:
    """One validated baseline group as a row of _GROUP_SCHEMA."""
    where = f"groups[{index}]"
    if not isinstance(group, dict):
        raise fail(f"{where} is not an object")

    def need(key: str, check: Any, what: str) -> Any:
        value = group.get(key)
        if not check(value):
            raise fail(f"{where}: '{key}' is missing or not {what}")
        return value

    def is_int(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    group_id = need("group_id", lambda v: isinstance(v, str) and v, "a group id")
    severity = need("severity", lambda v: v in SEVERITIES, f"one of {', '.join(SEVERITIES)}")
    need("accounts", lambda v: isinstance(v, list) and all(isinstance(a, str) for a in v), "a list of account ids")
    need("templates", lambda v: isinstance(v, list) and all(
        isinstance(t, dict) and isinstance(t.get("template"), str) for t in v), "a list of templates")
    return (
        group_id,
        need("rank", is_int, "an integer"),
        severity,
        float(need("score", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number")),
        need("n_accounts", is_int, "an integer"),
        need("n_requests", is_int, "an integer"),
    )


def compare(
    report: GroupReport,
    membership: pl.DataFrame,
    baseline: Baseline,
    suppression: Suppression | None = None,
) -> BaselineComparison:
    """Match every current group to the baseline and give it a status (see module doc).

    With a `suppression`, baseline groups that now match only allowlisted groups are
    `now_suppressed`, not gone.
    """
    current = report.groups.select("group_id", "severity", "n_accounts", "n_requests")
    previous = baseline.groups
    candidates = _candidates(report, membership, baseline)
    best = (
        candidates.sort(
            ["group_id", "similarity", "account_jaccard", "shared_accounts", "rank", "baseline_group_id"],
            descending=[False, True, True, True, False, False],
        )
        .unique("group_id", keep="first", maintain_order=True)
        .select("group_id", "baseline_group_id", "similarity", "shared_accounts")
    )
    new_accounts = (
        membership.join(baseline.members.select("account_id").unique(), on="account_id", how="anti")
        .group_by("group_id")
        .agg(new_accounts=pl.len())
    )
    severity_order = {name: index for index, name in enumerate(SEVERITIES)}
    with_match = (
        current.join(best, on="group_id", how="left")
        .join(new_accounts, on="group_id", how="left")
        .join(
            previous.select(
                "baseline_group_id", previous_severity="severity", previous_n_accounts="n_accounts",
                previous_n_requests="n_requests",
            ),
            on="baseline_group_id",
            how="left",
        )
        .with_columns(pl.col("new_accounts").fill_null(0).cast(pl.Int64))
    )
    rank_of = pl.col("severity").replace_strict(severity_order, return_dtype=pl.Int32)
    previous_rank = pl.col("previous_severity").replace_strict(severity_order, default=None, return_dtype=pl.Int32)
    # Integer arithmetic: 20% of 15 accounts is exactly 3, not 3.0000000000000004.
    grew = (
        (
            (pl.col("new_accounts") >= 1)
            & (100 * pl.col("new_accounts") >= GROWTH_PERCENT * pl.col("previous_n_accounts"))
        )
        | (100 * pl.col("n_requests").cast(pl.Int64) >= (100 + GROWTH_PERCENT) * pl.col("previous_n_requests"))
        | (rank_of < previous_rank)
    )
    statuses = with_match.with_columns(
        status=pl.when(pl.col("baseline_group_id").is_null())
        .then(pl.lit("new"))
        .when(grew)
        .then(pl.lit("grown"))
        .otherwise(pl.lit("unchanged"))
    ).select(
        "group_id", "status", "baseline_group_id", "similarity", "shared_accounts", "new_accounts",
        "previous_severity", "previous_n_accounts", "previous_n_requests",
    ).sort("group_id")
    matched = candidates.select("baseline_group_id").unique()
    unmatched = previous.join(matched, on="baseline_group_id", how="anti")
    suppressed_ids: list[str] = []
    if suppression is not None:
        allowed = _candidates(suppression.report, suppression.linkage.membership, baseline)
        suppressed_ids = sorted(set(unmatched["baseline_group_id"]) & set(allowed["baseline_group_id"]))
    gone = unmatched.filter(~pl.col("baseline_group_id").is_in(suppressed_ids)).sort("rank", "baseline_group_id")
    return BaselineComparison(
        source=baseline.source, baseline_groups=previous.height, statuses=statuses, gone=gone,
        now_suppressed=tuple(suppressed_ids),
    )


def with_baseline(result: ScanResult, baseline: Baseline) -> ScanResult:
    """The scan result with every group's status against `baseline`."""
    comparison = compare(result.report, result.linkage.membership, baseline, result.suppression)
    return replace(result, baseline=comparison)


def _candidates(report: GroupReport, membership: pl.DataFrame, baseline: Baseline) -> pl.DataFrame:
    """Every (current group, baseline group) pair at or above MATCH_THRESHOLD, with its
    similarity, account Jaccard, shared accounts and baseline rank."""
    current = report.groups.select("group_id", "n_accounts")
    previous = baseline.groups
    base_sizes = baseline.members.group_by("baseline_group_id").agg(base_size=pl.len())
    cur_templates = report.templates.select("group_id", "template").unique()
    base_templates = baseline.templates
    shared_accounts = (
        membership.join(baseline.members, on="account_id")
        .group_by("group_id", "baseline_group_id")
        .agg(shared_accounts=pl.len())
    )
    shared_templates = (
        cur_templates.join(base_templates, on="template")
        .group_by("group_id", "baseline_group_id")
        .agg(shared_templates=pl.len())
    )
    cur_template_counts = cur_templates.group_by("group_id").agg(cur_templates=pl.len())
    base_template_counts = base_templates.group_by("baseline_group_id").agg(base_templates=pl.len())
    pairs = (
        shared_accounts.join(shared_templates, on=["group_id", "baseline_group_id"], how="full", coalesce=True)
        .join(current.select("group_id", cur_size="n_accounts"), on="group_id")
        .join(base_sizes, on="baseline_group_id", how="left")
        .join(cur_template_counts, on="group_id", how="left")
        .join(base_template_counts, on="baseline_group_id", how="left")
        .join(previous.select("baseline_group_id", "rank"), on="baseline_group_id")
        .with_columns(pl.col("shared_accounts", "shared_templates", "base_size", "cur_templates",
                             "base_templates").fill_null(0).cast(pl.Int64))
    )
    shared = pl.col("shared_accounts").cast(pl.Float64)
    smaller = pl.min_horizontal("cur_size", "base_size").cast(pl.Float64)
    union = (pl.col("cur_size") + pl.col("base_size")).cast(pl.Float64) - shared
    template_union = (pl.col("cur_templates") + pl.col("base_templates") - pl.col("shared_templates")).cast(pl.Float64)
    scored = pairs.with_columns(
        account_overlap=pl.when(smaller > 0).then(shared / smaller).otherwise(0.0),
        account_jaccard=pl.when(union > 0).then(shared / union).otherwise(0.0),
        template_jaccard=pl.when(template_union > 0)
        .then(pl.col("shared_templates") / template_union)
        .otherwise(0.0),
    ).with_columns(
        similarity=(2.0 * pl.col("account_overlap") + pl.col("template_jaccard")) / 3.0
    )
    return scored.filter(pl.col("similarity") >= MATCH_THRESHOLD)
