"""Allowlist: known legitimate customers and evaluation partners, reported as suppressed.

An allowlist names identities the provider assigns — accounts and orgs — never content:
anyone can send a given prompt template, so allowing a template would let any attacker
hide behind it.

File format (``--allow FILE``), one entry per line, ``#`` starts a comment (at the start
of a line, or after whitespace)::

    account:acct_0042         # evaluation partner
    org:org_7f3a

The same entries can sit in ``distillscan.toml`` as ``allow = ["account:...", ...]``.

Allowed accounts are taken out *before* linking and are linked and scored only among
themselves. So an attacker who shares an IP, a payment method or a template with an
allowed account is neither hidden by it (their group is judged on their own traffic)
nor able to drag it into a block list; the allowed accounts' own groups are reported
as suppressed, with the entries that matched, and never trigger ``--fail-on``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import polars as pl

from distillscan.errors import UsageError
from distillscan.model.aggregates import Aggregates
from distillscan.model.triage import AllowEntry, Allowlist
from distillscan.textfiles import load_toml, read_text_file

ALLOW_KINDS: Final[tuple[str, ...]] = ("account", "org")
CONFIG_KEY: Final = "allow"
_INLINE_COMMENT: Final = re.compile(r"\s#.*$")


def parse_entry(text: str, source: str) -> AllowEntry:
    """`kind:value` as an entry; UsageError naming `source` when malformed."""
    kind, separator, value = text.strip().partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if kind == "template":
        raise UsageError(
            f"{source}: template entries are not supported: anyone can send a template, so "
            "allowing one would hide any attacker who copies it; allow the accounts or orgs "
            "that run it instead"
        )
    if not separator or kind not in ALLOW_KINDS or not value:
        raise UsageError(
            f"{source}: expected KIND:VALUE with KIND one of {', '.join(ALLOW_KINDS)}, got {text.strip()!r}"
        )
    return AllowEntry(kind, value, source)


def parse_allowlist(text: str, name: str) -> Allowlist:
    """Entries of an allowlist file's text; `name` is used in messages."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = _INLINE_COMMENT.sub("", line).strip()
        if not content or content.startswith("#"):
            continue
        entries.append(parse_entry(content, f"{name}:{number}"))
    return combine([Allowlist(tuple(entries), (name,))])


def read_allowlist(path: str | Path) -> Allowlist:
    """The allowlist in a plain-text file."""
    return parse_allowlist(read_text_file(path, "allowlist"), str(path))


def config_allowlist(config_path: str | Path | None) -> Allowlist | None:
    """The `allow = [...]` entries of a config file (None when it has none)."""
    if config_path is None:
        return None
    data = load_toml(config_path)
    if CONFIG_KEY not in data:
        return None
    raw = data[CONFIG_KEY]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise UsageError(f"config {config_path}: '{CONFIG_KEY}' must be a list of \"kind:value\" strings")
    entries = tuple(parse_entry(item, f"{config_path} allow[{index}]") for index, item in enumerate(raw))
    return combine([Allowlist(entries, (str(config_path),))])


def combine(lists: Iterable[Allowlist | None]) -> Allowlist:
    """Several allowlists as one; an entry written twice keeps its first source."""
    seen: dict[str, AllowEntry] = {}
    sources: list[str] = []
    for allowlist in lists:
        if allowlist is None:
            continue
        sources.extend(source for source in allowlist.sources if source not in sources)
        for entry in allowlist.entries:
            seen.setdefault(entry.label, entry)
    return Allowlist(tuple(seen.values()), tuple(sources))


def match_allowlist(aggregates: Aggregates, allowlist: Allowlist) -> pl.DataFrame:
    """Allowed accounts and the entries that allow them: (account_id, entry), sorted.

    An `org:` entry allows an account only when every org its traffic carries is
    allowed, so an account that also works for another org is judged as usual.
    """
    accounts = aggregates.accounts.select("account_id")
    by_account = accounts.filter(pl.col("account_id").is_in(allowlist.values("account"))).select(
        "account_id", entry=pl.lit("account:") + pl.col("account_id")
    )
    allowed_orgs = allowlist.values("org")
    orgs = aggregates.account_values.lazy().filter(pl.col("kind") == "org").select("account_id", "value").collect()
    fully_allowed = (
        orgs.group_by("account_id")
        .agg(all_allowed=pl.col("value").is_in(allowed_orgs).all())
        .filter("all_allowed")
        .select("account_id")
    )
    by_org = orgs.join(fully_allowed, on="account_id").select(
        "account_id", entry=pl.lit("org:") + pl.col("value")
    )
    return pl.concat([by_account, by_org]).unique().sort("account_id", "entry")


def split_aggregates(aggregates: Aggregates, allowed: pl.Series) -> tuple[Aggregates, Aggregates]:
    """The aggregates of the accounts not in `allowed`, and of those in it.

    Per-account tables are filtered; the distinct frame and system-prompt tables are
    recounted from each side's own requests, so a template's reach never includes the
    other side's traffic.
    """
    wanted = allowed.implode()
    return _side(aggregates, ~pl.col("account_id").is_in(wanted)), _side(
        aggregates, pl.col("account_id").is_in(wanted)
    )


def _side(aggregates: Aggregates, keep: pl.Expr) -> Aggregates:
    account_frames = aggregates.account_frames.filter(keep)
    frame_counts, system_counts = pl.collect_all(
        [
            account_frames.lazy().group_by("frame_fp").agg(n=pl.col("n").sum()),
            account_frames.lazy().drop_nulls("system_fp").group_by("system_fp").agg(n=pl.col("n").sum()),
        ],
        engine="streaming",
    )
    frames = aggregates.frames.lazy()
    frame_schema = frames.collect_schema()
    systems = aggregates.systems
    return aggregates.with_tables(
        accounts=aggregates.accounts.filter(keep),
        account_frames=account_frames,
        account_topics=aggregates.account_topics.filter(keep),
        frames=frames.drop("n")
        .join(frame_counts.lazy(), on="frame_fp")
        .select(frame_schema.names())
        .cast({"n": frame_schema["n"]})
        .sort("frame_fp", "skeleton"),
        systems=systems.drop("n")
        .join(system_counts, on="system_fp")
        .select(systems.columns)
        .cast({"n": systems.schema["n"]})
        .sort("system_fp", "system_text"),
        account_buckets=aggregates.account_buckets.filter(keep),
        account_values=aggregates.account_values.filter(keep),
        account_params=aggregates.account_params.filter(keep),
        account_items=aggregates.account_items.filter(keep),
        account_closers=aggregates.account_closers.filter(keep),
    )


