"""Near-duplicate clustering of frames into templates."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from distillscan.fingerprint import cluster
from distillscan.fingerprint.cluster import cluster_templates


def test_cluster_templates_merges_paraphrases_only() -> None:
    frames = pl.DataFrame({
        "frame_fp": [1, 2, 3, 4],
        "skeleton": [
            "you are a meticulous data analyst who explains every step ¶ analyze the following dataset and report … reasoning before the final answer",
            "you are a meticulous data analyst who explains every step ¶ examine the following dataset and report … reasoning before the final answer",
            "write a limerick about cats … about cats",
            "you are a meticulous data analyst who explains every step ¶ examine the following dataset and report … reasoning before the final answer !",
        ],
        "n_requests": [50, 20, 30, 1],
    }, schema={"frame_fp": pl.UInt64, "skeleton": pl.String, "n_requests": pl.UInt32})
    mapping = dict(cluster_templates(frames).iter_rows())
    assert mapping[1] == mapping[2] == 1  # the most-requested frame represents the cluster
    assert 3 not in mapping  # a frame with no near duplicate is its own template
    assert 4 not in mapping  # one-off frames are never merged


def test_near_duplicate_edges_do_not_depend_on_how_the_work_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    wrappers = ["you are a careful analyst", "you are a careful reviewer", "act as a strict grader",
                "you are a senior engineer"]
    tasks = ["summarise the report and list every risk", "summarise the report and list each risk",
             "grade the answer against the rubric below", "grade the answers against the rubric below",
             "fix the failing unit test in this module", "write a poem about autumn leaves"]
    skeletons = [f"{wrapper} ¶ {task} … show your reasoning step by step" for wrapper in wrappers for task in tasks]
    items = pl.DataFrame({"frame_fp": range(1, len(skeletons) + 1), "skeleton": skeletons},
                         schema={"frame_fp": pl.UInt64, "skeleton": pl.String})
    whole = cluster._near_duplicate_edges(items, 3, 0.5)
    assert whole.height > len(wrappers)  # paraphrases pair up, within and across wrappers
    monkeypatch.setattr(cluster, "SIGNATURE_CHUNK", 5)
    monkeypatch.setattr(cluster, "BANDS_PER_PASS", 3)
    monkeypatch.setattr(cluster, "VERIFY_CHUNK", 4)
    assert_frame_equal(cluster._near_duplicate_edges(items, 3, 0.5), whole)
    # Folding the verified pairs into a forest every few pairs, not once at the end.
    monkeypatch.setattr(cluster, "FOREST_PAIRS", 1)
    assert_frame_equal(cluster._near_duplicate_edges(items, 3, 0.5), whole)
    # A forest: one edge per node joined to a smaller root.
    assert whole["b"].is_unique().all() and (whole["a"] < whole["b"]).all()
