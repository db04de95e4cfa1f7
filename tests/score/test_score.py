"""Group scoring: missing evidence is no evidence; shares count every member."""

from __future__ import annotations

from distillscan.model.groups import severity_of
from distillscan.pipeline import analyse_frame
from tests.helpers import at, requests_frame


def _coordinated_rows(with_infra: bool, created: bool = True) -> list[dict]:
    rows = []
    for i in range(30):
        for j in range(5 + 3 * i):  # uneven volume: no load-balancer signal
            row = {"account_id": f"acct{i:02d}", "timestamp": at(hours=j * 2 + i % 5),
                   "prompt": f"Please look at question {i}-{j} and tell me what you think about it in detail"}
            if with_infra:
                row.update(ip=f"81.{i}.0.1", payment_fingerprint=f"card-{i}")
            if created and i == 0:
                row["account_created_at"] = at(days=-2)
            rows.append(row)
    return rows


def test_missing_infrastructure_columns_are_not_shared_infrastructure() -> None:
    report, _ = analyse_frame(requests_frame(_coordinated_rows(with_infra=False)))
    # Unknown (the log holds no IP, payment or org), not zero: left out of the score.
    assert report.groups["c_shared_infra"].is_null().all()
    assert not any("payment methods" in reason for reasons in report.reasons.values() for reason in reasons)


def test_fresh_share_counts_accounts_without_creation_date() -> None:
    rows = [dict(row, payment_fingerprint="card-1") for row in _coordinated_rows(with_infra=False)]
    report, _ = analyse_frame(requests_frame(rows))
    group = report.groups.filter(report.groups["n_accounts"] == 30).row(0, named=True)
    assert group["fresh_account_share"] == 1 / 30


def test_severity_bands() -> None:
    assert [severity_of(x) for x in (0.95, 0.7, 0.55, 0.4, 0.1)] == ["critical", "high", "medium", "low", "info"]
