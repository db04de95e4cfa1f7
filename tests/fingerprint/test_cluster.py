"""Near-duplicate clustering of frames into templates."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from distillscan import _core
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


def _shingle_jaccard(x: str, y: str) -> float:
    def shingles(text: str) -> set[str]:
        words = text.split(" ")
        return {" ".join(words[i:i + cluster.SHINGLE_WORDS]) for i in range(len(words) - cluster.SHINGLE_WORDS + 1)}
    return len(shingles(x) & shingles(y)) / len(shingles(x) | shingles(y))


def test_a_template_holds_near_duplicates_of_its_representative_not_a_chain() -> None:
    """A chain of near duplicates (1 ~ 2 ~ 3 ~ 4) whose ends share only a system prompt
    (Jaccard 0.33) is no template: 1 and 2 are near duplicates of the representative 1,
    and 3 and 4, left out, form their own in the next round."""
    system = "answer in plain text with no markdown and ask a clarifying question when unsure ¶ "
    frames = pl.DataFrame({
        "frame_fp": [1, 2, 3, 4],
        "skeleton": [
            system + "solve this problem and show your working in detail before you answer",
            system + "why do i get this error and show your working in detail before you answer",
            system + "why do i get this error here in my code when i run it",
            system + "why do i get this warning here in my code when i run it",
        ],
        "n_requests": [50, 20, 30, 10],
    }, schema={"frame_fp": pl.UInt64, "skeleton": pl.String, "n_requests": pl.UInt32})
    texts = frames["skeleton"].to_list()
    jaccard = [round(_shingle_jaccard(texts[x], texts[y]), 2) for x, y in ((0, 1), (1, 2), (2, 3), (0, 3))]
    assert jaccard == [0.61, 0.53, 0.8, 0.33]
    mapping = dict(cluster_templates(frames).iter_rows())
    assert mapping == {1: 1, 2: 1, 3: 3, 4: 3}


def test_near_duplicate_edges_are_a_forest_that_ignores_the_items_order() -> None:
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
    shuffled = cluster._near_duplicate_edges(items.sample(fraction=1.0, shuffle=True, seed=7), 3, 0.5)
    assert_frame_equal(shuffled.sort("b"), whole.sort("b"))
    # A forest: one edge per node joined to its cluster's smallest id.
    assert whole["b"].is_unique().all() and (whole["a"] < whole["b"]).all()
    assert set(whole["a"]).isdisjoint(set(whole["b"]))


def test_short_frames_are_their_own_shingle_not_one_cluster() -> None:
    # Frames of fewer words than a shingle: each is compared as a whole, so unrelated
    # short frames never fall into one template together.
    items = pl.DataFrame({"frame_fp": [1, 2, 3], "skeleton": ["thanks", "ok cool", "thanks"]},
                         schema={"frame_fp": pl.UInt64, "skeleton": pl.String})
    assert cluster._near_duplicate_edges(items, 3, 0.5).rows() == [(1, 3)]


def test_pairs_are_kept_by_their_true_jaccard() -> None:
    # Sets of 6 words: items 1-2 share 4 of 8 distinct words (0.5), items 1-3 and 2-3
    # share 2 of 10 (0.2).
    items = pl.DataFrame({
        "frame_fp": [1, 2, 3],
        "skeleton": ["alpha beta gamma delta epsilon zeta", "alpha beta gamma delta eta theta",
                     "alpha beta iota kappa lambda mu"],
    }, schema={"frame_fp": pl.UInt64, "skeleton": pl.String})
    assert cluster._near_duplicate_edges(items, 1, 0.5).rows() == [(1, 2)]
    # At 0.2 the pairs join when LSH makes them candidates: 1 and 2 always do.
    assert (1, 2) in cluster._near_duplicate_edges(items, 1, 0.2).rows()


def test_system_prompt_families_join_rewordings_not_strangers() -> None:
    reworded = [
        "you are a meticulous mathematician and programmer. solve every task rigorously. state your "
        "assumptions up front. show each step of your reasoning. end with the final answer clearly marked.",
        "act as a rigorous mathematician and programmer. show each step of your reasoning and state "
        "your assumptions first. every task must be solved rigorously. finish with the final answer marked.",
        "## role: careful mathematician and programmer ## rules: state assumptions up front; show "
        "every step of the reasoning; check each task rigorously; mark the final answer clearly.",
    ]
    stranger = ("you are a friendly travel planner helping a family of four. suggest places to eat, "
                "keep budgets in euros and answer in british english.")
    systems = pl.DataFrame({
        "system_fp": [1, 2, 3, 4, 5],
        "system_text": [*reworded, stranger, "you are a helpful assistant."],
        "n": [10, 10, 10, 10, 10],
    }, schema={"system_fp": pl.UInt64, "system_text": pl.String, "n": pl.UInt32})
    families = dict(cluster.cluster_system_prompts(systems).select("system_fp", "family_fp").iter_rows())
    assert families[1] == families[2] == families[3] != families[4]
    assert 5 not in families  # too short to say anything


def test_a_large_bucket_compares_texts_beyond_its_first() -> None:
    """100 texts share 30 common words and hold 4 of their own (word Jaccard 0.79 between
    any two), so every band puts most of them in one bucket too large to pair whole; two
    more texts hold the common words and one word each (Jaccard 0.94 to each other, 0.86
    to the others), and meet only in those buckets. At a bar of 0.9 only that pair may
    join: the bucket's first text is not like either, so a star alone never checks them."""
    common = " ".join(f"common{index}" for index in range(30))
    texts = [f"{common} " + " ".join(f"own{text}x{index}" for index in range(4)) for text in range(100)]
    texts += [f"{common} onlyx", f"{common} onlyy"]
    column = pl.Series("texts", texts)

    def roots(neighbours: int) -> list[int]:
        frame = pl.DataFrame(_core.near_duplicate_roots(column, 1, 0.9, neighbours))
        return frame.get_column("root").to_list()

    assert roots(0) == list(range(102))
    assert roots(8) == [*range(101), 100]


def _word(i: int) -> str:
    """A word of letters only (families compare words of letters)."""
    return "".join(chr(97 + int(d)) for d in f"{i:03d}") + "x"


def _systems(texts: dict[int, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"system_fp": list(texts), "system_text": list(texts.values()), "n": [1] * len(texts)},
        schema={"system_fp": pl.UInt64, "system_text": pl.String, "n": pl.UInt32},
    )


def test_a_wording_made_of_a_large_familys_words_joins_it_below_the_pairwise_bar() -> None:
    core = [_word(i) for i in range(10)]
    rest = [_word(100 + i) for i in range(60)]
    # Twelve wordings: the core and a window of twenty other words sliding by three, each
    # close to the next, chained into one family.
    family = {i + 1: " ".join(core + rest[3 * i:3 * i + 20]) for i in range(12)}
    # Four core words and twelve of the family's other words spread over its windows: at
    # word Jaccard 0.33 or less to every wording, every word one the family uses twice.
    spread = rest[5:50:4]
    paraphrase = " ".join(core[:4] + spread)
    # The same, with half the words its own: no member of the family.
    stranger = " ".join(core[:4] + spread[:4] + [_word(500 + i) for i in range(8)])
    others = {100 + i: " ".join(_word(1000 + 40 * i + j) for j in range(20)) for i in range(6)}
    systems = _systems({**family, 50: paraphrase, 60: stranger, **others})
    words = lambda text: set(text.split())  # noqa: E731
    assert max(len(words(paraphrase) & words(t)) / len(words(paraphrase) | words(t)) for t in family.values()) < 0.33
    families = dict(
        cluster.cluster_system_prompts(systems).select("system_fp", "family_fp").iter_rows()
    )
    assert len({families[i] for i in family}) == 1
    assert families[50] == families[1]
    assert families[60] != families[1]
