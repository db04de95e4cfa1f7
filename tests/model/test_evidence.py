"""What a log can show: columns without values and short spans make families unknown."""

from __future__ import annotations

from datetime import timedelta

from distillscan.model.evidence import FAMILIES, Measurable
from tests.helpers import at

ALL_COLUMNS = ("n_turns", "temperature", "account_created_at", "ip", "model")


def test_a_full_log_knows_every_family() -> None:
    measurable = Measurable.of_log(ALL_COLUMNS, at(0), at(days=21), model_release=True)
    assert measurable.unknown == {}
    assert all(measurable.knows(family) for family in FAMILIES)


def test_a_replay_of_seconds_without_gateway_columns_knows_little() -> None:
    measurable = Measurable.of_log(("model",), at(0), at(0) + timedelta(seconds=0.1), model_release=False)
    assert list(measurable.unknown) == list(FAMILIES)
    assert measurable.unknown["daily_timing"] == "the log spans 0.1 s, under 2 days"
    assert measurable.unknown["account_creation"] == "no account_created_at values"
    assert measurable.unknown["model_pivot"] == "no model is released during the log"
    assert not measurable.knows("daily_timing") and measurable.knows("anything else")


def test_billed_input_tokens_alone_show_conversation_depth() -> None:
    """A gateway that logs only the last user message still logs what each request was
    billed, which holds the earlier turns."""
    with_tokens = Measurable.of_log(("input_tokens", "model"), at(0), at(days=21), model_release=True)
    without = Measurable.of_log(("model",), at(0), at(days=21), model_release=True)
    assert with_tokens.knows("conversation_depth")
    assert without.unknown["conversation_depth"] == "no n_turns / turn / input_tokens values"


def test_creation_times_ahead_of_the_request_clock_leave_account_age_unknown() -> None:
    """A few accounts seen before their creation are noise; past 1% the two clocks disagree."""
    few = Measurable.of_log(ALL_COLUMNS, at(0), at(days=21), model_release=True, clock_mismatch=(1, 100))
    many = Measurable.of_log(ALL_COLUMNS, at(0), at(days=21), model_release=True, clock_mismatch=(40, 1_000))
    assert few.knows("account_age")
    assert many.unknown == {"account_age": "40 of 1,000 accounts were first seen over 60 min before their creation "
                                          "time: the creation times and the request clock disagree"}
    assert many.knows("account_creation")  # creation bursts need no request clock
