"""The drill-down views over a small log whose campaign and timings are known."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

from distillscan.errors import UsageError
from distillscan.investigate import (
    EXAMPLE_CHARS,
    account_table,
    example_requests,
    filter_accounts,
    group_view,
    resolve_group,
    sort_accounts,
    sort_templates,
    template_catalog,
)
from distillscan.model.evidence import Measurable
from distillscan.model.scan import ScanOptions, ScanResult
from distillscan.model.views import activity_grid, link_summary
from distillscan.pipeline import scan
from distillscan.report.documents import COMPONENT_COLUMNS
from distillscan.report.drilldown.group import render_group
from distillscan.report.html import group_section
from distillscan.score.components import RELAY_WEIGHT, behaviour_weights
from tests.investigate.view_logs import (
    CAMPAIGN_ACCOUNTS,
    CAMPAIGN_DAYS,
    CAMPAIGN_SWITCH_HOUR,
    NEW_MODEL_HOUR,
    campaign_accounts,
    write_view_log,
)


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_view_log(tmp_path_factory.mktemp("views"))


@pytest.fixture(scope="module")
def result(log_path: Path) -> ScanResult:
    return scan([str(log_path)], ScanOptions())


def _campaign_group(result: ScanResult) -> str:
    membership = result.linkage.membership
    return str(membership.filter(pl.col("account_id") == "op1")["group_id"][0])


def test_resolve_group_by_id_and_rank(result: ScanResult) -> None:
    group_id = _campaign_group(result)
    rank = int(result.report.groups.filter(pl.col("group_id") == group_id)["rank"][0])
    assert resolve_group(result, group_id) == group_id
    assert resolve_group(result, str(rank)) == group_id
    assert resolve_group(result, f"#{rank}") == group_id


def test_unknown_group_says_how_to_list_groups(result: ScanResult) -> None:
    with pytest.raises(UsageError, match="distillscan scan"):
        resolve_group(result, "G-nope")
    with pytest.raises(UsageError, match="did you mean G-"):
        resolve_group(result, "G-")
    with pytest.raises(UsageError, match="is an account"):
        resolve_group(result, "op3")
    with pytest.raises(UsageError, match="no group ranked 99"):
        resolve_group(result, "99")


def test_group_view_accounts_templates_and_activity_add_up(result: ScanResult) -> None:
    view = group_view(result, _campaign_group(result))
    requests = CAMPAIGN_ACCOUNTS * CAMPAIGN_DAYS * 12
    assert sorted(view.accounts["account_id"]) == sorted(campaign_accounts())
    assert view.group["n_requests"] == requests
    assert view.accounts["n_requests"].sum() == requests
    assert view.templates["n_requests"].sum() == requests
    assert view.templates["share"].sum() == pytest.approx(1.0)
    assert view.topics["n"].sum() == requests
    assert view.activity["n"].sum() == requests
    assert view.model_days["n"].sum() == requests
    # One template, sent by every member and nobody else, always asking for reasoning.
    top = view.templates.row(0, named=True)
    assert (top["n_accounts"], top["n_accounts_total"], top["cot_share"]) == (CAMPAIGN_ACCOUNTS, CAMPAIGN_ACCOUNTS, 1.0)
    assert "<n>" in top["skeleton"]


def test_activity_cells_land_on_the_right_day_and_hour(result: ScanResult) -> None:
    grid = activity_grid(group_view(result, _campaign_group(result)).activity)
    assert [first for first, _ in grid.rows] == [date(2026, 4, 20) + timedelta(days=d) for d in range(CAMPAIGN_DAYS)]
    # Every member sends one request every even hour; odd hours are idle.
    expected = [CAMPAIGN_ACCOUNTS if hour % 2 == 0 else 0 for hour in range(24)]
    assert all(row == expected for row in grid.cells)
    assert grid.hour_totals == [n * CAMPAIGN_DAYS for n in expected]
    assert grid.peak == CAMPAIGN_ACCOUNTS


def test_activity_grid_folds_long_spans_and_keeps_idle_days() -> None:
    start = date(2026, 1, 1)
    activity = pl.DataFrame(
        {"day": [start, start + timedelta(days=3), start + timedelta(days=61)], "hour": [0, 5, 23], "n": [2, 3, 4]},
        schema={"day": pl.Date, "hour": pl.Int8, "n": pl.UInt32},
    )
    unfolded = activity_grid(activity, max_rows=1000)
    assert len(unfolded.rows) == 62 and unfolded.row_totals[1] == 0 and unfolded.row_totals[3] == 3
    folded = activity_grid(activity, max_rows=31)
    assert len(folded.rows) == 31 and all(days == 2 for _, days in folded.rows)
    assert folded.cells[1][5] == 3 and folded.cells[30][23] == 4
    assert sum(folded.row_totals) == sum(folded.hour_totals) == 9


def test_infrastructure_counts_members_and_outsiders(result: ScanResult) -> None:
    infrastructure = group_view(result, _campaign_group(result)).infrastructure
    by_value = {(row["kind"], row["value"]): row for row in infrastructure.iter_rows(named=True)}
    assert by_value[("payment", "card-1")]["n_accounts"] == CAMPAIGN_ACCOUNTS
    # 45.0.0.1 is also used by an ordinary user outside the group.
    shared_ip = by_value[("ip", "45.0.0.1")]
    assert (shared_ip["n_accounts"], shared_ip["n_accounts_total"]) == (1, 2)
    assert by_value[("subnet", "45.0.0.0/24")]["n_accounts_total"] == CAMPAIGN_ACCOUNTS + 1
    assert infrastructure["kind"].unique(maintain_order=True).to_list() == ["ip", "subnet", "user_agent", "payment"]


def test_links_say_what_ties_the_members_together(result: ScanResult) -> None:
    view = group_view(result, _campaign_group(result))
    members = set(view.accounts["account_id"])
    assert view.links.height >= 1
    assert set(view.links["a"]) | set(view.links["b"]) == members  # every member is tied in
    assert view.links["similarity"].is_sorted(descending=True)
    summary = link_summary(view.links).row(0, named=True)
    # The operator's accounts share one card (and a /24): payment ties every one of them.
    by_kind = {row["kind"]: row for row in link_summary(view.links).iter_rows(named=True)}
    assert by_kind["payment"]["members"] == CAMPAIGN_ACCOUNTS
    assert summary["links"] == max(row["links"] for row in by_kind.values())
    assert by_kind["payment"]["label"] == "payment method"
    # A group of one has no links, and says so.
    lone = replace(view, links=view.links.head(0))
    buffer = io.StringIO()
    render_group(lone, Console(file=buffer, width=160, no_color=True))
    assert "no member is linked to another" in buffer.getvalue()
    assert "No member is linked to another" in group_section(lone)


def test_model_timeline_measures_the_lag_behind_release(result: ScanResult) -> None:
    view = group_view(result, _campaign_group(result))
    release = view.release
    assert release is not None and release.model == "m-new"
    assert release.released_at.hour == NEW_MODEL_HOUR
    assert release.lag_hours == CAMPAIGN_SWITCH_HOUR - NEW_MODEL_HOUR
    assert release.active_before
    assert release.pivot_lift == pytest.approx(view.group["pivot_lift"])
    models = {row["model"]: row for row in view.models.iter_rows(named=True)}
    assert models["m-new"]["lag_hours"] == CAMPAIGN_SWITCH_HOUR - NEW_MODEL_HOUR
    assert models["m-old"]["n_requests"] + models["m-new"]["n_requests"] == view.group["n_requests"]


def test_score_components_recombine_into_the_score(result: ScanResult) -> None:
    view = group_view(result, _campaign_group(result))
    parts = {part.name: part for part in view.components}
    assert set(parts) == {"content", "behaviour", *COMPONENT_COLUMNS}
    behaviour_parts = [part for part in view.components if part.feeds == "behaviour" and part.value is not None]
    # Weights as scoring used them: those of components the log cannot show went to the
    # others; relaying a flagged group's templates keeps its own.
    assert {part.name: part.weight for part in behaviour_parts} == behaviour_weights(
        Measurable(result.summary.signals_unknown)
    ) | {"relay": RELAY_WEIGHT}
    noisy_or = 1 - math.prod(1 - (part.weight or 0.0) * part.value for part in behaviour_parts)
    assert noisy_or == pytest.approx(parts["behaviour"].value)
    assert math.sqrt(parts["content"].value * parts["behaviour"].value) == pytest.approx(view.group["score"], abs=1e-4)


def test_template_catalog_reach_groups_and_sorting(result: ScanResult) -> None:
    catalog = template_catalog(result)
    assert (catalog["n_requests"] >= 3).all()
    assert catalog["n_requests"].to_list() == sorted(catalog["n_requests"].to_list(), reverse=True)
    campaign = catalog.row(0, named=True)
    assert campaign["groups"] == [_campaign_group(result)] and campaign["n_groups"] == 1
    assert campaign["share"] == pytest.approx(campaign["n_requests"] / result.summary.rows_read)
    assert campaign["max_severity"] == result.report.groups.filter(pl.col("rank") == 1)["severity"][0]
    by_first = sort_templates(catalog, "first-seen")["first_seen"].to_list()
    assert by_first == sorted(by_first)
    by_accounts = sort_templates(catalog, "accounts")["n_accounts"].to_list()
    assert by_accounts == sorted(by_accounts, reverse=True)
    assert template_catalog(result, min_requests=10_000).height == 0


def test_account_table_filters_and_sorts(result: ScanResult) -> None:
    accounts = account_table(result)
    assert accounts.height == result.summary.accounts
    assert accounts.columns[:6] == ["account_id", "group_id", "rank", "severity", "score", "n_requests"]
    assert accounts["score"].to_list() == sorted(accounts["score"].to_list(), reverse=True)
    chosen = filter_accounts(accounts, ["op2", "user1"])
    assert sorted(chosen["account_id"]) == ["op2", "user1"]
    members = filter_accounts(accounts, group_ids=[_campaign_group(result)])
    assert sorted(members["account_id"]) == sorted(campaign_accounts())
    with pytest.raises(UsageError, match=r"unknown account 'op9'.*did you mean op0, op1, op2"):
        filter_accounts(accounts, ["op9"])
    by_requests = sort_accounts(accounts, "requests")["n_requests"].to_list()
    assert by_requests == sorted(by_requests, reverse=True)


def test_example_requests_come_from_the_group_and_are_cut(log_path: Path, result: ScanResult) -> None:
    view = group_view(result, _campaign_group(result))
    examples = example_requests([str(log_path)], ScanOptions(), result, view, per_template=3, max_chars=20)
    assert examples.height == 3
    assert set(examples["account_id"]) <= set(campaign_accounts())
    assert examples["template"].to_list() == [view.templates["template"][0]] * 3
    assert (examples["prompt"].str.len_chars() == 20).all() and (examples["prompt_chars"] > 20).all()
    assert examples["timestamp"].to_list() == sorted(examples["timestamp"].to_list())


def test_example_requests_stop_reading_once_they_have_enough(
    log_path: Path, result: ScanResult, tmp_path: Path
) -> None:
    view = group_view(result, _campaign_group(result))
    broken = tmp_path / "zz-broken.parquet"
    broken.write_bytes(b"PAR1 this file is never read: the examples are found before it")
    examples = example_requests([str(log_path), str(broken)], ScanOptions(), result, view, per_template=2)
    assert examples.height == 2 and examples["prompt"].str.len_chars().max() <= EXAMPLE_CHARS
    with pytest.raises(Exception, match="zz-broken"):
        example_requests([str(log_path), str(broken)], ScanOptions(), result, view, per_template=10_000)


def test_no_examples_from_standard_input(result: ScanResult) -> None:
    view = group_view(result, _campaign_group(result))
    with pytest.raises(UsageError, match="standard input"):
        example_requests(["-"], ScanOptions(), result, view)
    assert example_requests(["-"], ScanOptions(), result, view, per_template=0).height == 0
