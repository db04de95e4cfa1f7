"""The scan report as files: JSON, JSONL, CSV and Parquet, and writing them out.

JSON and Parquet keep the data exact; CSV is read by spreadsheets, so its text cells
are defused (see `render_csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl

from distillscan.model.scan import ScanResult
from distillscan.report.documents import (
    GROUP_CHUNK,
    SCHEMA_VERSION,
    iter_group_documents,
    json_text,
    summary_document,
    suppressed_documents,
)
from distillscan.report.safe import spreadsheet_safe


def render_json(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """The full report as one JSON document, with a trailing newline (`json_pieces`)."""
    return "".join(json_pieces(result, shown, suppressed))


def json_pieces(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> Iterator[str]:
    """The full report as one JSON document, with a trailing newline, in pieces of
    one group each, so memory holds one chunk of groups (`iter_group_documents`), never
    the document; `suppressed` (allowlisted groups to list) adds `suppressed_groups`.
    The pieces join to what `json.dumps(document, indent=2)` writes."""
    head = json_text({"schema_version": SCHEMA_VERSION, "summary": summary_document(result, shown)}, indent=2)
    yield head.removesuffix("\n}")
    yield from _json_list("groups", iter_group_documents(result, shown))
    if suppressed is not None:
        yield from _json_list("suppressed_groups", suppressed_documents(result, suppressed))
    yield "\n}\n"


def _json_list(key: str, documents: Iterable[dict[str, Any]]) -> Iterator[str]:
    """`,\n  "key": [...]` as an indented member of the report's top-level object."""
    yield f',\n  "{key}": ['
    separator = "\n"
    for document in documents:
        text = json_text(document, indent=2)
        yield separator + "\n".join(_MEMBER_INDENT + line for line in text.split("\n"))
        separator = ",\n"
    yield "]" if separator == "\n" else "\n  ]"


# A group object sits two levels deep in the report (object, list).
_MEMBER_INDENT: Final = "    "


def render_jsonl(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """`jsonl_pieces` as one text."""
    return "".join(jsonl_pieces(result, shown, suppressed))


def jsonl_pieces(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> Iterator[str]:
    """One group object per line (each with schema_version), trailing newline; listed
    suppressed groups follow, marked `"suppressed": true`. A line a piece."""
    for group in _all_documents(result, shown, suppressed):
        yield json_text({"schema_version": SCHEMA_VERSION, **group}) + "\n"


def _all_documents(
    result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None
) -> Iterator[dict[str, Any]]:
    """The shown groups' documents, then the listed suppressed groups'."""
    yield from iter_group_documents(result, shown)
    if suppressed is not None:
        yield from suppressed_documents(result, suppressed)


CSV_COLUMNS: Final[tuple[str, ...]] = (
    "rank", "group_id", "severity", "score", "n_accounts", "n_requests", "first_seen",
    "last_seen", "top_template", "top_skeleton", "reasons", "accounts",
)


BASELINE_CSV_COLUMNS: Final[tuple[str, ...]] = ("baseline_status", "baseline_group_id")
SUPPRESSED_CSV_COLUMNS: Final[tuple[str, ...]] = ("suppressed", "allowed_by")
# CSV rows written per piece.
_CSV_ROWS_PER_PIECE: Final = 1_000


def _flat_row(group: dict[str, Any], baseline: bool, listing_suppressed: bool) -> dict[str, Any]:
    """A group's CSV row (before `spreadsheet_safe`)."""
    top = group["templates"][0] if group["templates"] else {}
    row = {
        "rank": group["rank"],
        "group_id": group["group_id"],
        "severity": group["severity"],
        "score": group["score"],
        "n_accounts": group["n_accounts"],
        "n_requests": group["n_requests"],
        "first_seen": group["first_seen"],
        "last_seen": group["last_seen"],
        "top_template": top.get("template"),
        "top_skeleton": top.get("skeleton"),
        "reasons": " | ".join(group["reasons"]),
        "accounts": ";".join(group["accounts"]),
    }
    if baseline:
        status = group.get("baseline", {})
        row.update(baseline_status=status.get("status"), baseline_group_id=status.get("matched_group_id"))
    if listing_suppressed:
        row.update(suppressed=str(group.get("suppressed", False)).lower(),
                   allowed_by=";".join(group.get("allowed_by", [])))
    return row


def render_csv(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """`csv_pieces` as one text."""
    return "".join(csv_pieces(result, shown, suppressed))


def csv_pieces(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> Iterator[str]:
    """One row per group; lists joined with ';' (accounts) and ' | ' (reasons). A
    baseline adds its status columns; listed suppressed groups follow, marked. Written
    _CSV_ROWS_PER_PIECE rows a piece.

    CSV is read by spreadsheets, which run cells that look like formulas: every text
    cell passes through `spreadsheet_safe` and is quoted (so a carriage return inside
    one cannot end the row); numbers are written as they are.
    """
    baseline = result.baseline is not None
    columns = list(CSV_COLUMNS)
    if baseline:
        columns += BASELINE_CSV_COLUMNS
    if suppressed is not None:
        columns += SUPPRESSED_CSV_COLUMNS
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )
    writer.writeheader()
    for index, group in enumerate(_all_documents(result, shown, suppressed), start=1):
        row = _flat_row(group, baseline, suppressed is not None)
        writer.writerow({key: spreadsheet_safe(value) if isinstance(value, str) else value
                         for key, value in row.items()})
        if index % _CSV_ROWS_PER_PIECE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


_PARQUET_SCHEMA: Final = pl.Schema([
    ("rank", pl.UInt32()), ("group_id", pl.String()), ("severity", pl.String()),
    ("score", pl.Float64()), ("n_accounts", pl.UInt32()), ("n_requests", pl.UInt32()),
    ("first_seen", pl.String()), ("last_seen", pl.String()), ("accounts", pl.List(pl.String)),
    ("reasons", pl.List(pl.String)), ("templates", pl.List(pl.String)),
])


def write_parquet(result: ScanResult, shown: pl.DataFrame, path: Path) -> None:
    """Groups as a Parquet table, lists kept as list columns (and `baseline_status`
    with a baseline); built a chunk of groups at a time (`iter_group_documents`), each
    chunk's documents dropped once framed."""
    schema = _PARQUET_SCHEMA if result.baseline is None else pl.Schema({**_PARQUET_SCHEMA,
                                                                         "baseline_status": pl.String()})
    frames = [_parquet_frame(result, chunk, schema) for chunk in shown.iter_slices(GROUP_CHUNK)]
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    frame.write_parquet(path)


def _parquet_frame(result: ScanResult, chunk: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """One chunk of groups as rows of the Parquet report, in `schema`'s columns."""
    return pl.DataFrame(
        [
            {
                **{key: group[key] for key in ("rank", "group_id", "severity", "score",
                                               "n_accounts", "n_requests", "first_seen",
                                               "last_seen", "accounts", "reasons")},
                "templates": [template["template"] for template in group["templates"]],
                "baseline_status": group.get("baseline", {}).get("status"),
            }
            for group in iter_group_documents(result, chunk)
        ],
        schema=schema,
    )


def csv_text(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV, values as they are, quoted only where CSV needs it (the drill-down
    lists; the scan report's cells go through `spreadsheet_safe`, see `render_csv`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_text(text: str | Iterable[str], output: Path | None, stdout: Any) -> None:
    """Write a machine-readable document (one text, or its pieces) to a file, or to stdout."""
    if output is None:
        write_pieces(text, stdout)
        stdout.flush()
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            write_pieces(text, handle)


def write_pieces(text: str | Iterable[str], handle: Any) -> None:
    """Write one text, or its pieces as they come, to an open text `handle`."""
    for piece in (text,) if isinstance(text, str) else text:
        handle.write(piece)
