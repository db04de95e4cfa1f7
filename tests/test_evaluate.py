import polars as pl

from distillscan.evaluate import evaluate


def test_truth_accounts_missing_from_the_scan_count_against_recall() -> None:
    groups = pl.DataFrame({"group_id": ["g1"], "rank": [1], "score": [0.9], "severity": ["critical"]})
    membership = pl.DataFrame({"account_id": ["c0"], "group_id": ["g1"]})
    truth = pl.DataFrame({"account_id": [f"c{i}" for i in range(10)], "label": ["campaign"] * 10,
                          "kind": ["hydra"] * 10, "entity_id": ["e"] * 10})
    result = evaluate(groups, membership, truth)
    assert result.account_recall == 0.1 and result.truth_accounts_not_in_scan == 9


def test_fragmentation_purity_and_benign_severities_are_reported() -> None:
    groups = pl.DataFrame({"group_id": ["g1", "g2", "g3"], "rank": [1, 2, 3], "score": [0.9, 0.7, 0.1],
                           "severity": ["critical", "high", "info"]})
    # Campaign c: 4 accounts split over g1 (3) and g2 (1); g1 also holds one benign account.
    membership = pl.DataFrame({"account_id": ["c0", "c1", "c2", "c3", "b0", "b1"],
                               "group_id": ["g1", "g1", "g1", "g2", "g1", "g3"]})
    truth = pl.DataFrame({"account_id": ["c0", "c1", "c2", "c3", "b0", "b1"],
                          "label": ["campaign"] * 4 + ["benign"] * 2, "kind": ["hydra"] * 4 + ["nat", "nat"],
                          "entity_id": ["h1"] * 4 + ["n1", "n2"]})
    result = evaluate(groups, membership, truth)
    row = result.per_campaign.row(0, named=True)
    assert (row["kind"], row["entity_id"], row["accounts"], row["groups"]) == ("hydra", "h1", 4, 2)
    assert row["largest_share"] == 0.75 and row["purity"] == 0.75 and row["recall"] == 1.0
    nat = result.benign_by_severity.row(0, named=True)
    assert (nat["kind"], nat["critical"], nat["info"], nat["high"]) == ("nat", 1, 1, 0)
    document = result.as_dict()
    assert document["per_campaign"][0]["groups"] == 2 and document["benign_by_severity"][0]["critical"] == 1


def test_ranking_is_also_counted_in_campaign_accounts() -> None:
    """A campaign's main group above the top benign group and its straggler below: one
    campaign group of two is above all benign, but three accounts of four."""
    groups = pl.DataFrame({"group_id": ["g1", "g2", "g3"], "rank": [1, 2, 3], "score": [0.9, 0.5, 0.4],
                           "severity": ["critical", "medium", "low"]})
    membership = pl.DataFrame({"account_id": ["c0", "c1", "c2", "b0", "c3"], "group_id": ["g1", "g1", "g1", "g2", "g3"]})
    truth = pl.DataFrame({"account_id": ["c0", "c1", "c2", "c3", "b0"], "label": ["campaign"] * 4 + ["benign"],
                          "kind": ["hydra"] * 4 + ["cron"], "entity_id": ["h1"] * 4 + ["k1"]})
    result = evaluate(groups, membership, truth)
    assert (result.campaign_groups_above_all_benign, result.campaign_groups) == (1, 2)
    assert result.campaign_accounts_above_all_benign == 0.75
    assert result.as_dict()["campaign_accounts_above_all_benign"] == 0.75
