"""Reasons quote their numbers, and say what speaks for a benign reading."""

from __future__ import annotations

from distillscan.score.reasons import group_reasons


def _row(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "n_accounts": 1, "n_requests": 900, "c_templated": 0.0, "templated_share": 0.0, "c_cot": 0.0,
        "cot_share": 0.0, "c_capability": 0.0, "multi_turn_share": 0.0, "top_topic": "general_chat",
    }
    return base | values


def test_a_routine_template_backend_is_told_apart() -> None:
    reasons = group_reasons(_row(c_templated=1.0, templated_share=1.0, top3_template_share=1.0), 1)
    assert reasons[0].startswith("1 account sends repeated prompt templates: 100%")
    assert reasons[-1] == "but its templates carry mostly routine work (top topic: general chat), so they count at 50% weight"


def test_the_template_note_is_left_out_where_reasoning_asks_already_harvest_in_full() -> None:
    reasons = group_reasons(_row(c_templated=1.0, templated_share=1.0, c_cot=1.0, cot_share=0.9), 1)
    assert not any(reason.startswith("but its templates") for reason in reasons)


def test_conversations_speak_for_people_and_apps() -> None:
    reasons = group_reasons(_row(c_cot=1.0, cot_share=0.5, follow_up_share=0.55, c_conversation=1.0), 0)
    assert reasons == [
        "50% of requests ask for step-by-step reasoning",
        "but 55% of its requests ask on in a conversation, as people and apps do",
    ]


def test_a_conversing_reasoning_stream_is_named_as_such() -> None:
    reasons = group_reasons(_row(
        follow_up_share=0.3, stream_follow_up_share=0.5, c_conversation=0.33, c_stream_conversation=1.0,
    ), 0)
    assert reasons == [(
        "but 50% of the requests on its reasoning-eliciting prompts ask on in a conversation, as people and apps do"
    )]


def test_scripted_follow_ups_are_no_mitigation() -> None:
    assert group_reasons(_row(follow_up_share=0.1, c_conversation=0.0), 0) == []


def test_a_brief_shared_stream_reads_as_evaluation_runs() -> None:
    reasons = group_reasons(_row(n_accounts=4, c_cot_stream=1.0, c_shared_stream=0.2, active_hours=9.5), 0)
    assert reasons == ["but its reasoning-eliciting stream ran 10 hours in all, in bursts, as evaluation runs do"]
    assert group_reasons(_row(n_accounts=4, c_cot_stream=1.0, c_shared_stream=0.0, active_hours=400.0), 0) == []
    # Where timing is unknown (a replay squeezed into seconds) its hours say nothing.
    assert group_reasons(_row(n_accounts=4, c_cot_stream=1.0, c_shared_stream=None, active_hours=0.0), 0) == []


def test_a_benchmark_run_is_named_by_its_walk() -> None:
    reasons = group_reasons(_row(n_accounts=2, walking_accounts=2), 0)
    assert reasons == [
        "but 2 of its 2 accounts send their task items in an order other accounts repeat, as runs of a public "
        "benchmark do"
    ]
