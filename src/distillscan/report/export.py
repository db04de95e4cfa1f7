"""Evidence export (`scan --export DIR`): the reported groups as files to act on and share.

* ``groups.json`` — the same document as ``--format json``;
* ``accounts.csv`` — one row per account of a reported group: a ready block list;
* ``templates.csv`` — each reported group's prompt templates, with their skeletons;
* ``indicators.json`` — infrastructure and template fingerprints tied to the reported
  groups, for sharing with other providers: no account ids, no prompt text.

Only reported groups are exported (``--top``, ``--min-score``, ``--min-severity``), never
allowlisted ones. Every file is a pure function of the scan, so the same input gives
byte-identical files. Files are written through a temporary file and renamed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

from distillscan import __version__
from distillscan.errors import UsageError
from distillscan.model.scan import ScanResult
from distillscan.model.templates import REPEATED_TEMPLATE_MIN_REQUESTS, stable_fp, with_template_fp
from distillscan.report.documents import iso_utc, json_text
from distillscan.report.formats import write_pieces

GROUPS_FILE: Final = "groups.json"
ACCOUNTS_FILE: Final = "accounts.csv"
TEMPLATES_FILE: Final = "templates.csv"
INDICATORS_FILE: Final = "indicators.json"
EXPORT_FILES: Final[tuple[str, ...]] = (GROUPS_FILE, ACCOUNTS_FILE, TEMPLATES_FILE, INDICATORS_FILE)
ACCOUNT_COLUMNS: Final[tuple[str, ...]] = (
    "account_id", "group_id", "severity", "score", "n_requests", "first_seen", "last_seen",
)
TEMPLATE_COLUMNS: Final[tuple[str, ...]] = (
    "template", "skeleton", "group_id", "n_requests", "n_accounts", "share",
)
INDICATORS_SCHEMA: Final = "distillscan.indicators"
INDICATORS_VERSION: Final = 1
# Indicator kind in the bundle → kind in Aggregates.account_values.
VALUE_KINDS: Final[dict[str, str]] = {
    "ip": "ip",
    "subnet": "subnet",
    "payment_fingerprint": "payment",
    "user_agent": "user_agent",
    "org_id": "org",
}
# A group's templates in templates.csv: its top TOP_TEMPLATES (as in the report) and every
# other template carrying at least REPEATED_TEMPLATE_MIN_REQUESTS of its requests.
TOP_TEMPLATES: Final = 3
DECIMALS: Final = 4


def _iso_expr(column: str) -> pl.Expr:
    """RFC 3339 text of a UTC timestamp, exactly as the JSON report writes it."""
    value = pl.col(column)
    return (
        pl.when(value.dt.microsecond() == 0)
        .then(value.dt.to_string("%Y-%m-%dT%H:%M:%SZ"))
        .otherwise(value.dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ"))
    )


def _members(result: ScanResult, shown: pl.DataFrame) -> pl.DataFrame:
    """account_id, group_id, rank of every account in a shown group."""
    return result.linkage.membership.join(shown.select("group_id", "rank"), on="group_id")


def accounts_table(result: ScanResult, shown: pl.DataFrame) -> pl.DataFrame:
    """The block list: every account of a shown group, by group rank then account id."""
    accounts = result.aggregates.accounts.select(
        "account_id", n_requests="n", first_seen=_iso_expr("first_ts"), last_seen=_iso_expr("last_ts")
    )
    return (
        _members(result, shown)
        .join(shown.select("group_id", "severity", pl.col("score").round(DECIMALS)), on="group_id")
        .join(accounts, on="account_id")
        .sort("rank", "account_id")
        .select(ACCOUNT_COLUMNS)
    )


def templates_table(result: ScanResult, shown: pl.DataFrame) -> pl.DataFrame:
    """Each shown group's templates (fingerprint of the skeleton, reach and share), by
    group rank, then requests, then fingerprint."""
    frames = (
        result.aggregates.account_frames.lazy().select("account_id", "frame_fp", "n")
        .join(_members(result, shown).lazy(), on="account_id")
        .pipe(with_template_fp, result.templates)
        .collect(engine="streaming")
    )
    per_template = (
        frames.group_by("group_id", "rank", "template_fp")
        .agg(n_requests=pl.col("n").sum(), n_accounts=pl.col("account_id").n_unique())
        .with_columns(share=(pl.col("n_requests") / pl.col("n_requests").sum().over("group_id")).round(DECIMALS))
        # Shares count one-off prompts (null: frames seen once), which are no template.
        .drop_nulls("template_fp")
        .sort(["group_id", "n_requests", "template_fp"], descending=[False, True, False])
        .with_columns(order=pl.int_range(1, pl.len() + 1).over("group_id"))
        .filter((pl.col("order") <= TOP_TEMPLATES) | (pl.col("n_requests") >= REPEATED_TEMPLATE_MIN_REQUESTS))
    )
    skeletons = _skeletons(result, per_template.get_column("template_fp"))
    with_text = per_template.join(skeletons, on="template_fp", how="left").with_columns(
        template=pl.col("skeleton").map_elements(stable_fp, return_dtype=pl.String)
    )
    return with_text.sort(["rank", "n_requests", "template"], descending=[False, True, False]).select(
        TEMPLATE_COLUMNS
    )


def _skeletons(result: ScanResult, wanted: pl.Series | None = None) -> pl.DataFrame:
    """template_fp → skeleton: the text of the `wanted` templates (all when None)."""
    frames = result.aggregates.frames.lazy()
    if wanted is not None:
        frames = frames.filter(pl.col("frame_fp").is_in(wanted.implode()))
    return frames.select(template_fp="frame_fp", skeleton="skeleton").unique("template_fp").collect()


def _template_accounts_in_scan(result: ScanResult, wanted: pl.DataFrame) -> pl.DataFrame:
    """value (template fingerprint) → accounts in the whole scan whose requests use it."""
    skeletons = _skeletons(result)
    keyed = skeletons.with_columns(
        value=pl.col("skeleton").map_elements(stable_fp, return_dtype=pl.String)
    ).join(wanted.select("value").unique(), on="value")
    return (
        result.aggregates.account_frames.lazy().select("account_id", "frame_fp")
        .pipe(with_template_fp, result.templates)
        .join(keyed.lazy().select("template_fp", "value"), on="template_fp")
        .group_by("value")
        .agg(accounts_in_scan=pl.col("account_id").n_unique())
        .collect(engine="streaming")
    )


def _indicator_rows(result: ScanResult, shown: pl.DataFrame, templates: pl.DataFrame) -> pl.DataFrame:
    """kind, value, group_id, rank, n_accounts, n_requests: each indicator per shown group."""
    kind_names = {source: name for name, source in VALUE_KINDS.items()}
    account_values = result.aggregates.account_values.lazy()
    values = (
        account_values.join(_members(result, shown).lazy(), on="account_id")
        .group_by("kind", "value", "group_id", "rank")
        .agg(n_accounts=pl.col("account_id").n_unique(), n_requests=pl.col("n").sum())
        .collect()
    )
    # Counted over the whole scan, for the values the shown groups hold only.
    in_scan = (
        account_values.join(values.lazy().select("kind", "value").unique(), on=["kind", "value"], how="semi")
        .group_by("kind", "value")
        .agg(accounts_in_scan=pl.col("account_id").n_unique())
        .with_columns(kind=pl.col("kind").replace_strict(kind_names, return_dtype=pl.String))
        .collect()
    )
    values = values.with_columns(kind=pl.col("kind").replace_strict(kind_names, return_dtype=pl.String))
    template_rows = templates.join(shown.select("group_id", "rank"), on="group_id").select(
        kind=pl.lit("template"), value="template", group_id="group_id", rank="rank",
        n_accounts="n_accounts", n_requests="n_requests",
    )
    template_in_scan = _template_accounts_in_scan(result, template_rows).with_columns(kind=pl.lit("template"))
    schema = pl.Schema({"n_accounts": pl.Int64(), "n_requests": pl.Int64(), "rank": pl.Int64()})
    rows = pl.concat([values.cast(schema), template_rows.cast(schema)], how="vertical_relaxed")
    scan_counts = pl.concat([in_scan, template_in_scan.select(in_scan.columns)], how="vertical_relaxed")
    return rows.join(scan_counts, on=["kind", "value"], how="left")


def indicators_document(result: ScanResult, shown: pl.DataFrame, templates: pl.DataFrame) -> dict[str, Any]:
    """The sharing bundle: per kind, each value with the groups that carry it and counts.

    `accounts_in_scan` counts every account of the scan holding the value: a value much
    more common than its groups is a weak indicator (a cloud NAT, a popular client).
    """
    rows = _indicator_rows(result, shown, templates)
    per_value = (
        rows.sort("rank", "group_id")
        .group_by("kind", "value")
        .agg(
            n_accounts=pl.col("n_accounts").sum(),
            n_requests=pl.col("n_requests").sum(),
            accounts_in_scan=pl.col("accounts_in_scan").first(),
            groups=pl.struct("group_id", "n_accounts", "n_requests"),
        )
        .sort(["kind", "n_accounts", "n_requests", "value"], descending=[False, True, True, False])
    )
    indicators: dict[str, list[dict[str, Any]]] = {name: [] for name in (*VALUE_KINDS, "template")}
    for row in per_value.iter_rows(named=True):
        kind = row.pop("kind")
        indicators[kind].append(row)
    summary = result.summary
    return {
        "schema": INDICATORS_SCHEMA,
        "schema_version": INDICATORS_VERSION,
        "generated_by": {"name": "distillscan", "version": __version__},
        "window": {"first_seen": iso_utc(summary.first_seen), "last_seen": iso_utc(summary.last_seen)},
        "groups": [
            {
                "group_id": row["group_id"], "rank": row["rank"], "severity": row["severity"],
                "score": round(row["score"], DECIMALS), "n_accounts": row["n_accounts"],
                "n_requests": row["n_requests"], "first_seen": iso_utc(row["first_seen"]),
                "last_seen": iso_utc(row["last_seen"]),
            }
            for row in shown.iter_rows(named=True)
        ],
        "indicators": dict(sorted(indicators.items())),
    }


def export_documents(
    result: ScanResult, shown: pl.DataFrame, groups_json: str | Iterable[str]
) -> dict[str, str | Iterable[str]]:
    """File name → content of every export file (a text, or its pieces); `groups_json`
    is the rendered report."""
    templates = templates_table(result, shown)
    return {
        GROUPS_FILE: groups_json,
        ACCOUNTS_FILE: accounts_table(result, shown).write_csv(line_terminator="\n"),
        TEMPLATES_FILE: templates.write_csv(line_terminator="\n"),
        INDICATORS_FILE: json_text(indicators_document(result, shown, templates), indent=2) + "\n",
    }


def is_export_file(path: Path) -> bool:
    """Whether an existing file is one distillscan wrote (so replacing it loses nothing)."""
    try:
        if path.name in (ACCOUNTS_FILE, TEMPLATES_FILE):
            columns = ACCOUNT_COLUMNS if path.name == ACCOUNTS_FILE else TEMPLATE_COLUMNS
            with path.open(encoding="utf-8", newline="") as handle:
                return handle.readline().rstrip("\r\n") == ",".join(columns)
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    if not isinstance(document, dict):
        return False
    if path.name == INDICATORS_FILE:
        return document.get("schema") == INDICATORS_SCHEMA
    summary = document.get("summary")
    return isinstance(summary, dict) and summary.get("tool", {}).get("name") == "distillscan"


def check_export_dir(directory: Path, force: bool = False) -> None:
    """UsageError unless the export can be written into `directory`: it is a directory
    or missing, and (unless `force`) holds no file of an export's name that distillscan
    did not write. Run before a scan, so a long scan does not end in this error."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--export {directory}: exists and is not a directory")
    foreign = [
        name for name in EXPORT_FILES if (directory / name).exists() and not is_export_file(directory / name)
    ]
    if foreign and not force:
        raise UsageError(
            f"--export {directory}: refusing to overwrite {', '.join(foreign)}, not written by distillscan "
            "(pass --force to overwrite)"
        )


def write_export(directory: Path, documents: Mapping[str, str | Iterable[str]], force: bool = False) -> list[Path]:
    """Write the export files into `directory` (created if missing).

    An existing file of the same name is replaced only when distillscan wrote it, unless
    `force`; other files in the directory are left alone.
    """
    check_export_dir(directory, force)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--export {directory}: cannot create it: {error.strerror or error}") from None
    written = []
    for name, text in documents.items():
        target = directory / name
        temporary = directory / f".{name}.{os.getpid()}.tmp"
        try:
            with temporary.open("w", encoding="utf-8", newline="") as handle:
                write_pieces(text, handle)
            os.replace(temporary, target)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise UsageError(f"--export {directory}: cannot write {name}: {error.strerror or error}") from None
        written.append(target)
    return written
