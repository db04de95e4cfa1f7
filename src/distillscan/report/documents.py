"""The JSON documents every machine format is built from: the scan summary and one
object per group, and the encoding rules they share (rounding, RFC 3339, C1 escapes)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, Final

import polars as pl

from distillscan import __version__
from distillscan.model.groups import SEVERITIES
from distillscan.model.scan import ScanResult
from distillscan.model.topics import TOPICS
from distillscan.report.selection import suppressed_scan

SCHEMA_VERSION: Final = 1

FEATURE_COLUMNS: Final[tuple[str, ...]] = (
    "templated_share", "top_template_share", "top3_template_share", "n_templates",
    "cot_share", "image_share", "tool_result_share", "high_value_share", "top_topic", "topic_focus", "n_topics",
    "topic_entropy", "multi_turn_share", "follow_up_share", "stream_follow_up_share",
    "fixed_params_share", "member_quiet_share", "hour_entropy", "active_days", "active_hours",
    "account_volume_cv", "creation_burst_accounts", "creation_burst_share", "fresh_account_share", "bespoke_accounts",
    "item_linked_accounts", "walking_accounts", "relayed_frames", "relayed_requests", "relayed_from",
    "split_from", "set_apart",
    "templated_cot_share", "templated_cot_requests", "shared_cot_share",
    "n_ips", "n_subnets", "shared_ips", "shared_ip_share", "n_user_agents", "n_payments", "n_orgs",
    "input_tokens", "output_tokens", "pivot_lift", "new_model",
)
COMPONENT_COLUMNS: Final[tuple[str, ...]] = (
    "templated", "cot", "capability", "single_turn", "fixed_params", "automation",
    "shared_infra", "creation_burst", "load_balance", "bespoke", "coharvest", "scale", "coordination", "pivot",
    "fresh_accounts", "cot_stream", "shared_stream", "relay", "conversation", "stream_conversation",
)
# Topics listed per group: the largest shares.
TOPICS_PER_GROUP: Final = 3

_C1_CONTROLS: Final = re.compile(r"[\x80-\x9f]")


def json_text(document: Any, indent: int | None = None) -> str:
    """JSON with non-ASCII text kept readable, but C1 controls (which terminals obey,
    e.g. U+009B as CSI) escaped; the decoded data is unchanged."""
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    return _C1_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def iso_utc(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z suffix; None stays None."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def plain_value(value: Any) -> Any:
    """JSON-ready value: floats rounded, NaN/inf as null, datetimes as RFC 3339."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, datetime):
        return iso_utc(value)
    return value


def json_ready(value: Any) -> Any:
    """`plain_value` through lists and dicts, and dates as ISO text."""
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return plain_value(value)


def records(frame: pl.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The rows of a frame (or of some of its columns) as JSON-ready objects."""
    chosen = frame.select(columns) if columns is not None else frame
    return [json_ready(row) for row in chosen.iter_rows(named=True)]


def topic_mix(row: dict[str, Any], top: int = TOPICS_PER_GROUP) -> dict[str, float]:
    """The group's largest topic shares (its `topic_*` features), largest first."""
    shares = {topic: float(row.get(f"topic_{topic}") or 0.0) for topic in TOPICS}
    ordered = sorted(shares.items(), key=lambda item: (-item[1], item[0]))
    return {topic: round(share, 4) for topic, share in ordered[:top] if share > 0}


def groups_by_severity(groups: pl.DataFrame) -> dict[str, int]:
    """How many groups fall in each severity, most severe first (zeros included)."""
    counts = dict(groups.group_by("severity").agg(pl.len()).iter_rows())
    return {name: int(counts.get(name, 0)) for name in SEVERITIES}


def summary_document(result: ScanResult, shown: pl.DataFrame) -> dict[str, Any]:
    """The `summary` object of the JSON report."""
    summary = result.summary
    document = {
        "tool": {"name": "distillscan", "version": __version__},
        "files": list(summary.files),
        "preset": summary.preset,
        "preset_reason": summary.preset_reason,
        "presets_by_file": dict(summary.presets_by_file),
        "rows_in": summary.rows_in,
        "rows_read": summary.rows_read,
        "rows_skipped": summary.rows_skipped,
        "rows_duplicate": summary.rows_duplicate,
        "skipped": [
            {
                "path": record.path, "line": record.line, "row": record.row,
                "field": record.field, "reason": record.reason, "rows": record.rows,
            }
            for record in summary.skipped
        ],
        "accounts": summary.accounts,
        "groups_total": result.report.groups.height,
        "groups_reported": shown.height,
        "groups_by_severity": groups_by_severity(result.report.groups),
        "first_seen": iso_utc(summary.first_seen),
        "last_seen": iso_utc(summary.last_seen),
        "columns_available": list(summary.columns_available),
        "signals_available": sorted(name for name, on in summary.signals.items() if on),
        "signals_unavailable": sorted(name for name, on in summary.signals.items() if not on),
        "signals_unknown": dict(summary.signals_unknown),
    }
    if result.baseline is not None:
        document["baseline"] = result.baseline.summary_document(shown["group_id"].to_list())
    if result.suppression is not None:
        document["suppressed"] = result.suppression.summary_document()
    return document


# Groups rendered per chunk: a report of every group (`--min-severity info`) of a
# 10M-request log holds 100k of them, and their documents all at once took a scan's
# peak from 1.5 to 4.6 GB.
GROUP_CHUNK: Final = 2_000


def group_documents(result: ScanResult, shown: pl.DataFrame) -> list[dict[str, Any]]:
    """One JSON-ready object per shown group, in rank order."""
    return list(iter_group_documents(result, shown))


def iter_group_documents(result: ScanResult, shown: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """`group_documents`, made GROUP_CHUNK groups at a time: memory holds one chunk's
    documents, and a writer can write each as it comes."""
    for chunk in shown.iter_slices(GROUP_CHUNK):
        yield from _chunk_documents(result, chunk)


def _chunk_documents(result: ScanResult, shown: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """The documents of the groups in `shown` (one chunk)."""
    chosen = shown["group_id"].implode()
    members = (
        result.linkage.membership.filter(pl.col("group_id").is_in(chosen))
        .sort("account_id")
        .group_by("group_id", maintain_order=True)
        .agg(pl.col("account_id"))
    )
    accounts_by_group = dict(members.iter_rows())
    templates = result.report.templates.filter(pl.col("group_id").is_in(chosen))
    templates_by_group: dict[str, list[dict[str, Any]]] = {}
    for row in templates.iter_rows(named=True):
        templates_by_group.setdefault(row["group_id"], []).append(
            {
                "template": row["template"],
                "skeleton": row["skeleton"],
                "n_requests": row["n_requests"],
                "n_accounts": row["n_accounts"],
                "share": plain_value(row["share"]),
            }
        )
    baselines = result.baseline.group_documents(shown["group_id"].to_list()) if result.baseline is not None else {}
    for row in shown.iter_rows(named=True):
        group_id = row["group_id"]
        document = {
            "group_id": group_id,
            "rank": row["rank"],
            "score": plain_value(row["score"]),
            "severity": row["severity"],
            "n_accounts": row["n_accounts"],
            "n_requests": row["n_requests"],
            "first_seen": iso_utc(row["first_seen"]),
            "last_seen": iso_utc(row["last_seen"]),
            "accounts": accounts_by_group.get(group_id, []),
            "templates": templates_by_group.get(group_id, []),
            "topics": topic_mix(row),
            "features": {name: plain_value(row.get(name)) for name in FEATURE_COLUMNS},
            "components": {
                "content": plain_value(row["content"]),
                "behaviour": plain_value(row["behaviour"]),
                **{name: plain_value(row[f"c_{name}"]) for name in COMPONENT_COLUMNS},
            },
            "reasons": result.report.reasons.get(group_id, []),
        }
        if result.baseline is not None:
            document["baseline"] = baselines[group_id]
        yield document


def suppressed_documents(result: ScanResult, suppressed: pl.DataFrame) -> list[dict[str, Any]]:
    """Group objects for allowlisted groups (`--show-suppressed`), each marked
    `suppressed` with the allow entries that matched its members."""
    if result.suppression is None:
        return []
    view = suppressed_scan(result, result.suppression)
    entries = result.suppression.group_entries()
    return [
        {**document, "suppressed": True, "allowed_by": entries.get(document["group_id"], [])}
        for document in group_documents(view, suppressed)
    ]
