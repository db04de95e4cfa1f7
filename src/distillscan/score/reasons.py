"""Why a group scored as it did: the strongest components as sentences that quote
their numbers, written only for the groups a report shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import polars as pl

from distillscan.score.components import CREATION_WINDOW_DAYS, FRESH_ACCOUNT_DAYS, SUSTAINED_HOURS, template_value


def _percent(value: float) -> str:
    return f"{round(100 * value)}%"


def group_reasons(row: dict[str, object], n_templates_top: int) -> list[str]:
    """Human-readable reasons for one scored group, strongest first, with numbers; then
    what speaks for a benign reading ("but …")."""

    def num(key: str) -> float:
        value = row.get(key)
        return float(value) if isinstance(value, (int, float)) else 0.0

    n_accounts = int(num("n_accounts"))
    n_requests = int(num("n_requests"))
    one = n_accounts == 1
    who = "1 account" if one else f"{n_accounts} accounts"
    candidates: list[tuple[float, bool, str]] = [
        (num("c_templated"), num("c_templated") >= 0.3,
         f"{who} {'sends' if one else 'send'} repeated prompt templates: "
         f"{_percent(num('templated_share'))} of {'its' if one else 'their'} {n_requests:,} requests "
         f"(top {n_templates_top} template{'s' if n_templates_top != 1 else ''}: "
         f"{_percent(num('top3_template_share'))})"),
        (num("c_cot"), num("cot_share") >= 0.2,
         f"{_percent(num('cot_share'))} of requests ask for step-by-step reasoning"),
        (num("c_shared_stream"), num("c_shared_stream") >= 0.3,
         f"the same reasoning-eliciting templates run across accounts on "
         f"{int(num('active_days'))} days, {round(num('active_hours'))} hours with traffic "
         f"({_percent(num('templated_cot_share'))} of requests)"),
        (num("c_capability") * 0.8, num("c_capability") >= 0.3,
         f"{_percent(num('high_value_share'))} of requests target high-value capabilities "
         f"(top: {str(row.get('top_topic')).replace('_', ' ')} {_percent(num('topic_focus'))})"),
        (num("c_automation"), num("c_automation") >= 0.5,
         "traffic runs around the clock: the quietest 6 hours of each account carry "
         f"{_percent(num('member_quiet_share') / 4)} of its requests (people who sleep: ~0%)"),
        (num("c_creation_burst") * num("c_scale"), num("c_creation_burst") >= 0.5,
         f"{int(num('creation_burst_accounts'))} of {n_accounts} accounts were created within "
         f"{CREATION_WINDOW_DAYS * 24} hours"),
        (num("c_shared_infra") * num("c_scale"), num("c_shared_infra") >= 0.3 and not one,
         f"{who} share " + " and ".join(
             part for part in (
                 f"{int(num('n_payments'))} payment methods" if num("n_payments") else "",
                 f"{int(num('n_ips'))} IPs in {int(num('n_subnets'))} subnets" + _pool_note(num)
                 if num("n_subnets") else "",
             ) if part
         )),
        (num("c_bespoke") * num("c_scale"), num("bespoke_accounts") >= 3 and num("c_bespoke") >= 0.5,
         f"{int(num('bespoke_accounts'))} of {n_accounts} accounts each word one system prompt their own "
         "way, none alike, as a campaign does to look unrelated"),
        (num("c_coharvest") * num("c_scale"), num("item_linked_accounts") >= 3 and num("c_coharvest") >= 0.5,
         f"{int(num('item_linked_accounts'))} of {n_accounts} accounts send the same task items far more often "
         "than the items' popularity explains, as when one dataset is spread over many accounts"),
        (num("c_relay"), num("c_relay") > 0,
         f"{who} {'sends' if one else 'send'} {int(num('relayed_frames')):,} prompt frames that only the "
         f"accounts of {row.get('relayed_from')}, a flagged group, send ({int(num('relayed_requests')):,} "
         "requests): its traffic, relayed" + _set_apart_note(int(num("set_apart")))),
        (num("c_load_balance") * num("c_scale"), num("c_load_balance") >= 0.5,
         "volume is spread evenly over accounts (coefficient of variation "
         f"{num('account_volume_cv'):.2f}), as a load balancer does"),
        (num("c_pivot"), num("c_pivot") >= 0.3,
         f"moved {_percent(num('pivot_lift'))} more of its traffic than the platform to "
         f"{row.get('new_model')} within 24 h of its first appearance"),
        (num("c_fresh_accounts") * 0.5, num("c_fresh_accounts") >= 0.5,
         f"{_percent(num('fresh_account_share'))} of accounts were first used within "
         f"{FRESH_ACCOUNT_DAYS} days of being created"),
        (0.2, num("c_single_turn") >= 0.5 and num("c_fixed_params") >= 0.5,
         f"{_percent(1 - num('multi_turn_share'))} single-turn requests; "
         f"{_percent(num('fixed_params_share'))} with identical temperature/max_tokens"),
    ]
    shown = sorted(
        ((strength, text) for strength, applies, text in candidates if applies),
        key=lambda item: (-item[0], item[1]),
    )
    return [text for _, text in shown] + _mitigations(row, num)


def _pool_note(num: Callable[[str], float]) -> str:
    """What the shared-infrastructure reason adds for a proxy pool the accounts rotate
    through (`components.POOL_FULL_ADDRESSES`)."""
    if num("shared_ips") < 10 or num("shared_ip_share") < 0.3:
        return ""
    return (
        f", {int(num('shared_ips')):,} of the IPs each used by two or more of them "
        f"({_percent(num('shared_ip_share'))} of their account-address pairs), as the exits of one proxy pool are"
    )


def _set_apart_note(set_apart: int) -> str:
    """What a relaying group says of the linked accounts set apart from it (`rank`)."""
    if set_apart == 0:
        return ""
    return f" ({set_apart} linked account{'s' if set_apart != 1 else ''} sending none of them reported apart)"


def _mitigations(row: Mapping[str, object], num: Callable[[str], float]) -> list[str]:
    """What the group has that benign look-alikes have (an extraction backend, a tutoring
    app, a team), said after the reasons against it so a reviewer sees both."""
    notes = []
    # Only where it lowered the score: reasoning asks at saturation harvest in full anyway.
    if num("c_templated") >= 0.3 and num("c_capability") < 0.3 and num("c_cot") < 0.5:
        weight = _percent(template_value(num("c_capability")))
        notes.append(
            f"but its templates carry mostly routine work (top topic: "
            f"{str(row.get('top_topic')).replace('_', ' ')}), so they count at {weight} weight"
        )
    if num("c_conversation") > 0 or num("c_stream_conversation") > 0:
        share = _percent(max(num("follow_up_share"), num("stream_follow_up_share")))
        which = (
            "the requests on its reasoning-eliciting prompts" if num("c_stream_conversation") > num("c_conversation")
            else "its requests"
        )
        notes.append(f"but {share} of {which} ask on in a conversation, as people and apps do")
    # Only where timing is known: a replay's timestamps say nothing of how long it ran.
    timed = row.get("c_shared_stream") is not None
    if timed and num("c_cot_stream") >= 0.5 and num("n_accounts") >= 2 and num("active_hours") < SUSTAINED_HOURS:
        notes.append(
            f"but its reasoning-eliciting stream ran {round(num('active_hours'))} hours in all, "
            "in bursts, as evaluation runs do"
        )
    if row.get("split_from") is not None:
        notes.append(
            f"but it is reported apart from {row.get('split_from')}: linked to its accounts, it sends none of the "
            "frames they relay"
        )
    if num("walking_accounts") >= 1:
        walking = int(num("walking_accounts"))
        notes.append(
            f"but {walking} of its {int(num('n_accounts'))} accounts send their task items in an order other "
            "accounts repeat, as runs of a public benchmark do"
        )
    return notes


class GroupReasons(Mapping[str, list[str]]):
    """Reasons per group, written on first access: a report shows a few groups out of
    (often) tens of thousands of singletons, so writing them all would be wasted work."""

    def __init__(self, scored: pl.DataFrame, top_templates: pl.DataFrame) -> None:
        self._scored = scored
        self._row_of = {group_id: index for index, group_id in enumerate(scored["group_id"].to_list())}
        self._template_counts = dict(top_templates.group_by("group_id").agg(pl.len()).iter_rows())
        self._written: dict[str, list[str]] = {}

    def __getitem__(self, group_id: str) -> list[str]:
        if group_id not in self._written:
            row = self._scored.row(self._row_of[group_id], named=True)
            self._written[group_id] = group_reasons(row, self._template_counts.get(group_id, 0))
        return self._written[group_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row_of)

    def __len__(self) -> int:
        return len(self._row_of)
