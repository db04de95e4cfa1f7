"""Features describe accounts correctly, and do not depend on how the log was split."""

from __future__ import annotations

from distillscan.aggregate.profile import profile
from distillscan.fingerprint.cluster import cluster_templates
from tests.helpers import aggregate, assert_same_aggregates, at, requests_frame


def _rows() -> list[dict]:
    rows = []
    for hour in range(48):  # a script: every hour, around the clock, one template
        rows.append({"account_id": "bot", "timestamp": at(hours=hour), "prompt": f"Solve problem {hour} step by step.",
                     "ip": "45.1.2.3", "model": "atlas-2", "temperature": 0.7, "max_tokens": 512})
    for day in range(2):  # a person: daytime only, varied text, multi-turn
        for hour, text in [(9, "plan a trip to rome"), (13, "what rhymes with orange"), (20, "summarise this email for me please")]:
            rows.append({"account_id": "person", "timestamp": at(days=day, hours=hour), "prompt": f"{text} {day}",
                         "ip": f"81.2.{day}.9", "model": "atlas-2", "n_turns": 2 if hour == 13 else 1})
    return rows


def _features_by_account(rows: list[dict]) -> dict[str, dict]:
    aggregates = aggregate(requests_frame(rows))
    templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    return {row["account_id"]: row for row in profile(aggregates, templates).iter_rows(named=True)}


def test_shard_merge_equals_single_pass() -> None:
    frame = requests_frame(_rows())
    whole = aggregate(frame)
    halves = aggregate(frame[::2], frame[1::2])
    assert_same_aggregates(whole, halves)


def test_profile_separates_script_from_person() -> None:
    features = _features_by_account(_rows())
    bot, person = features["bot"], features["person"]
    assert bot["n_requests"] == 48 and person["n_requests"] == 6
    assert bot["quiet_share"] > 0.9 and person["quiet_share"] == 0.0
    assert bot["cot_share"] == 1.0 and person["cot_share"] == 0.0
    assert bot["templated_share"] == 1.0 and person["templated_share"] == 0.0
    assert bot["fixed_params_share"] == 1.0 and person["fixed_params_share"] == 0.0
    assert person["multi_turn_share"] == 2 / 6
    assert bot["n_ips"] == 1 and person["n_subnets"] == 2
    assert bot["topic_math_reasoning"] == 1.0
    assert bot["n_topics"] == 1 and bot["topic_entropy"] == 0.0
    assert person["n_topics"] == 1 and person["top_topic"] == "general_chat"


def test_activity_spread_counts_each_slot_once_across_models() -> None:
    # Slot 1 holds 1 request, slot 2 holds 3 (split over two models): mean 2, std 1.
    rows = [{"account_id": "a", "timestamp": at(hours=1), "prompt": "hi", "model": "atlas-2"}]
    rows += [{"account_id": "a", "timestamp": at(hours=5), "prompt": "hi", "model": model}
             for model in ("atlas-2", "atlas-2", "atlas-3")]
    rows += [{"account_id": "b", "timestamp": at(hours=2), "prompt": "hey", "model": "atlas-2"}] * 4
    features = _features_by_account(rows)
    assert features["a"]["active_slots"] == 2 and features["a"]["slot_cv"] == 0.5
    assert features["b"]["active_slots"] == 1 and features["b"]["slot_cv"] == 0.0


def test_infrastructure_counts_are_zero_when_missing_and_null_when_never_logged() -> None:
    rows = [{"account_id": "a", "timestamp": at(), "prompt": "hi", "ip": "10.0.0.1", "payment_fingerprint": "card_1"},
            {"account_id": "b", "timestamp": at(), "prompt": "hi", "ip": "10.0.0.2"}]
    features = _features_by_account(rows)
    assert features["a"]["n_payments"] == 1
    assert features["b"]["n_payments"] == 0
    assert features["a"]["n_orgs"] is None and features["b"]["n_orgs"] is None


def _stream_rows(account: str, system: str | None, asides: list[tuple[str | None, int]]) -> list[dict]:
    """A reasoning-eliciting template sent 60 times (system prompt `system`), then each
    (system prompt, turn) of `asides` as its own request."""
    rows = [{"account_id": account, "timestamp": at(minutes=k), "system": system, "n_turns": 1,
             "prompt": f"Explain step by step how to solve exercise {k} and show your reasoning."}
            for k in range(60)]
    rows += [{"account_id": account, "timestamp": at(hours=2, minutes=k), "system": aside_system, "n_turns": turn,
              "prompt": f"how did you get that in part {k}? {'why ' * (k % 7)}"}
             for k, (aside_system, turn) in enumerate(asides)]
    return rows


def test_follow_ups_on_the_streams_system_prompt_count_as_its_conversation() -> None:
    tutor_prompt = "You are a patient maths tutor for secondary school students."
    # The tutoring app: students ask on under the app's prompt, in other templates.
    tutor = _stream_rows("tutor", tutor_prompt, [(tutor_prompt, 2)] * 40)
    # A script without a system prompt among customers who chat under their own.
    reseller = _stream_rows("reseller", None, [("You are a travel assistant.", 2)] * 40)
    # The same script under a prompt its customers' first turns share: no follow-ups.
    agency = _stream_rows("agency", tutor_prompt, [(tutor_prompt, 1)] * 40)
    features = _features_by_account(tutor + reseller + agency)
    assert features["tutor"]["stream_follow_up_share"] == 40 / 100
    assert features["reseller"]["stream_follow_up_share"] == 0.0
    assert features["agency"]["stream_follow_up_share"] == 0.0
    assert all(features[name]["follow_up_share"] == 0.4 for name in ("tutor", "reseller"))
