"""The template catalogue (`templates`): every prompt template in the log, its reach and
the groups that send it; and the template lookups the group view shares."""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.model.aggregates import Table
from distillscan.model.scan import ScanResult
from distillscan.model.templates import MIN_TEMPLATE_REQUESTS, stable_fp, with_template_fp

TEMPLATE_SORTS: Final[dict[str, tuple[tuple[str, ...], tuple[bool, ...]]]] = {
    "requests": (("n_requests", "n_accounts", "template", "skeleton"), (True, True, False, False)),
    "accounts": (("n_accounts", "n_requests", "template", "skeleton"), (True, True, False, False)),
    "first-seen": (("first_seen", "n_requests", "template", "skeleton"), (False, True, False, False)),
}


def with_templates(account_frames: Table, templates: pl.DataFrame) -> pl.LazyFrame:
    """Account frames with the template each frame was merged into, as a query: the table
    may be a scan of files larger than memory, so callers collect what they need."""
    return with_template_fp(account_frames.lazy(), templates, keep_order=True)


def with_template_text(result: ScanResult, per_template: pl.DataFrame) -> pl.DataFrame:
    """Add each template's skeleton (its representative frame's) and public id."""
    skeletons = (
        result.aggregates.frames.lazy()
        .join(per_template.lazy().select(frame_fp="template_fp"), on="frame_fp", how="semi")
        .select(template_fp="frame_fp", skeleton="skeleton")
        .unique("template_fp", keep="first", maintain_order=True)
        .collect()
    )
    return per_template.join(skeletons, on="template_fp", how="left", maintain_order="left").with_columns(
        template=pl.col("skeleton").map_elements(stable_fp, return_dtype=pl.String)
    )


def template_catalog(result: ScanResult, min_requests: int = MIN_TEMPLATE_REQUESTS) -> pl.DataFrame:
    """Every prompt template with at least `min_requests` requests in the log.

    Columns: template_fp (internal), template, skeleton, n_requests, n_accounts, share
    (of all requests), cot_share, first_seen, last_seen, n_groups, groups (group ids, most
    suspicious first), max_severity. Sorted by requests; see `sort_templates`.
    """
    frames = with_templates(result.aggregates.account_frames, result.templates)
    total = max(int(result.aggregates.accounts["n"].sum()), 1)
    per_template = (
        frames.group_by("template_fp")
        .agg(
            n_requests=pl.col("n").sum(),
            n_accounts=pl.col("account_id").n_unique(),
            n_cot=pl.col("n_cot").sum(),
            first_seen=pl.col("first_ts").min(),
            last_seen=pl.col("last_ts").max(),
        )
        # One-off prompts (null: frames seen once) are no template.
        .filter(pl.col("template_fp").is_not_null() & (pl.col("n_requests") >= min_requests))
        .collect(engine="streaming")
    )
    ranks = result.report.groups.select("group_id", "rank", "severity")
    groups = (
        frames.join(per_template.lazy().select("template_fp"), on="template_fp", how="semi")
        .join(result.linkage.membership.lazy(), on="account_id")
        .select("template_fp", "group_id")
        .unique()
        .collect(engine="streaming")
        .join(ranks, on="group_id")
        .sort("template_fp", "rank")
        .group_by("template_fp", maintain_order=True)
        .agg(n_groups=pl.len(), groups=pl.col("group_id"), max_severity=pl.col("severity").first())
    )
    catalog = with_template_text(result, per_template).join(groups, on="template_fp", how="left", maintain_order="left")
    return sort_templates(
        catalog.select(
            "template_fp", "template", "skeleton", "n_requests", "n_accounts",
            share=pl.col("n_requests") / total,
            cot_share=pl.col("n_cot") / pl.col("n_requests"),
            first_seen="first_seen", last_seen="last_seen", n_groups="n_groups", groups="groups",
            max_severity="max_severity",
        ),
        "requests",
    )


def sort_templates(catalog: pl.DataFrame, by: str) -> pl.DataFrame:
    """Templates in the order `by` names (a key of TEMPLATE_SORTS); ties broken by id."""
    columns, descending = TEMPLATE_SORTS[by]
    return catalog.sort(list(columns), descending=list(descending), nulls_last=True)
