import polars as pl

from distillscan.evaluate import evaluate


def test_truth_accounts_missing_from_the_scan_count_against_recall() -> None:
    groups = pl.DataFrame({"group_id": ["g1"], "rank": [1], "score": [0.9], "severity": ["critical"]})
    membership = pl.DataFrame({"account_id": ["c0"], "group_id": ["g1"]})
    truth = pl.DataFrame({"account_id": [f"c{i}" for i in range(10)], "label": ["campaign"] * 10,
                          "kind": ["hydra"] * 10, "entity_id": ["e"] * 10})
    result = evaluate(groups, membership, truth)
    assert result.account_recall == 0.1 and result.truth_accounts_not_in_scan == 9
