"""The canonical request schema every reader produces and every later stage consumes.

One row is one API request. Readers map whatever a log holds onto these columns;
a missing optional column is filled with nulls and recorded as unavailable, so the
stages downstream never branch on the presence of a column, only on `available`.
"""

from __future__ import annotations

from typing import Final

import polars as pl

UTC: Final = "UTC"
TIMESTAMP_DTYPE: Final = pl.Datetime("us", UTC)

REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("account_id", "timestamp", "prompt")

CANONICAL_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_id": pl.String(),
    "timestamp": TIMESTAMP_DTYPE,
    # The text of the last user turn (from `prompt`, or extracted from `messages`).
    "prompt": pl.String(),
    # The system prompt (from `system`, or the system-role message).
    "system": pl.String(),
    # Number of user turns in the request; > 1 means a multi-turn conversation.
    "n_turns": pl.Int32(),
    "model": pl.String(),
    "request_id": pl.String(),
    "conversation_id": pl.String(),
    "turn": pl.Int32(),
    "ip": pl.String(),
    "user_agent": pl.String(),
    "org_id": pl.String(),
    "payment_fingerprint": pl.String(),
    "account_created_at": TIMESTAMP_DTYPE,
    "input_tokens": pl.Int64(),
    "output_tokens": pl.Int64(),
    "temperature": pl.Float64(),
    "max_tokens": pl.Int64(),
    "response": pl.String(),
    # Counted from `messages`, never mixed into the text: image parts, and tool results
    # (tool-role messages or tool_result parts) in the request.
    "n_images": pl.Int32(),
    "n_tool_results": pl.Int32(),
}

# Source columns a native log may carry instead of a canonical one.
# `messages` is a list of {role, content} structs from which `prompt`, `system`
# and `n_turns` are derived.
MESSAGES_COLUMN: Final = "messages"

# Which detection signals each optional column switches on. A signal is on when
# any of its columns is available; the report lists the ones that are off.
SIGNAL_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "system_prompt_templates": ("system",),
    # Billed input tokens hold the earlier turns where depth itself is not logged.
    "conversation_depth": ("n_turns", "turn", "conversation_id", "input_tokens"),
    "model_pivot": ("model",),
    "ip_infrastructure": ("ip",),
    "user_agents": ("user_agent",),
    "org_links": ("org_id",),
    "payment_links": ("payment_fingerprint",),
    "creation_bursts": ("account_created_at",),
    "token_volume": ("input_tokens", "output_tokens"),
    "fixed_parameters": ("temperature", "max_tokens"),
    "duplicate_requests": ("request_id",),
    "attachments": ("n_images", "n_tool_results"),
}


def signals_available(available_columns: set[str]) -> dict[str, bool]:
    """Map each optional signal to whether the log carries a column that feeds it."""
    return {
        signal: any(column in available_columns for column in columns)
        for signal, columns in SIGNAL_COLUMNS.items()
    }
