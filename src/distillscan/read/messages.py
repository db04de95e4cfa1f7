"""Messages: a request's `[{role, content}]` list, and what is derived from it.

The prompt (the last user turn's text), the system prompt (system-role text), the
number of user turns, and counts of image parts and tool results (kept out of the
text) are all derived from one messages column, whatever its shape: a list of structs
(Parquet), or JSON text (JSONL, or a Parquet string column) whose content is a string,
a list of `{type, text}` parts or a mix. JSON text is decoded by Polars in one call
when it can be, and value by value in Python only when it cannot.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal, cast

import polars as pl

from distillscan.read.columns import struct_fields

_PART_DTYPE: Final = pl.Struct({"type": pl.String(), "text": pl.String()})
MESSAGES_DTYPE: Final = pl.List(pl.Struct({"role": pl.String(), "content": pl.List(_PART_DTYPE)}))
_MESSAGES_TEXT_DTYPE: Final = pl.List(pl.Struct({"role": pl.String(), "content": pl.String()}))
# Rewrites `"content": "<string>"` into `"content": [{"type": "text", "text": "<string>"}]`
# so messages mixing string and list contents decode to one dtype. A `"content"` key
# can only be matched outside string literals: inside one, its quotes are escaped.
_STRING_CONTENT_RE: Final = r'"content"\s*:\s*("(?:[^"\\]|\\.)*")'
_STRING_CONTENT_TO_PARTS: Final = r'"content": [{"type": "text", "text": ${1}}]'

_TEXT_PART_TYPES: Final = ["text", "input_text", "output_text"]
_SYSTEM_ROLES: Final = ["system", "developer"]
_IMAGE_PART_TYPES: Final = ["image_url", "image", "input_image"]
_TOOL_RESULT_PART_TYPES: Final = ["tool_result", "function_call_output"]
_TOOL_ROLES: Final = ["tool", "function"]

PARSE_ERRORS: Final = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError)
"""What Polars raises on JSON text it cannot read."""


# ---------------------------------------------------------------------------
# Expressions over decoded messages
# ---------------------------------------------------------------------------


def message_text(content: pl.Expr, dtype: pl.DataType | None) -> pl.Expr | None:
    """Text of one message's content: a string, or the text parts of a list of parts."""
    if dtype is None or isinstance(dtype, pl.Null):
        return None
    if isinstance(dtype, pl.String):
        return content
    if isinstance(dtype, pl.Struct):  # a single part
        fields = struct_fields(dtype)
        if isinstance(fields.get("text"), pl.String):
            return content.struct.field("text")
        return None
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        if isinstance(inner, pl.String):
            texts = content.list.drop_nulls()
        elif isinstance(inner, pl.Struct):
            fields = struct_fields(inner)
            if not isinstance(fields.get("text"), pl.String):
                return None
            part = pl.element()
            keep: pl.Expr = part.struct.field("text").is_not_null()
            if "type" in fields:
                kind = part.struct.field("type").cast(pl.String)
                keep = keep & (kind.is_null() | kind.is_in(_TEXT_PART_TYPES))
            texts = content.list.eval(part.filter(keep).struct.field("text"))
        else:
            return None
        return pl.when(texts.list.len() > 0).then(texts.list.join("\n"))
    return None


def _count_parts(messages: pl.Expr, content_dtype: pl.DataType | None, kinds: list[str]) -> pl.Expr | None:
    """How many content parts of the given types the request's messages hold."""
    if not (isinstance(content_dtype, pl.List) and isinstance(content_dtype.inner, pl.Struct)):
        return None
    if "type" not in struct_fields(content_dtype.inner):
        return None
    per_message = pl.element().struct.field("content").list.eval(
        pl.element().struct.field("type").cast(pl.String).is_in(kinds).cast(pl.Int32)
    ).list.sum()
    return messages.list.eval(per_message).list.sum()


def derive_from_messages(messages: pl.Expr, dtype: pl.List) -> dict[str, pl.Expr]:
    """prompt (last user turn), system (system-role text), n_turns (user turns), and the
    counts of image parts and tool results (kept out of the text)."""
    fields = struct_fields(cast(pl.Struct, dtype.inner))
    message = pl.element()
    role = message.struct.field("role").cast(pl.String).str.to_lowercase()
    is_user = role == "user"
    is_system = role.is_in(_SYSTEM_ROLES)

    content_dtype = fields.get("content")
    derived = {"n_turns": messages.list.eval(is_user.cast(pl.Int32)).list.sum()}
    images = _count_parts(messages, content_dtype, _IMAGE_PART_TYPES)
    tool_parts = _count_parts(messages, content_dtype, _TOOL_RESULT_PART_TYPES)
    tool_messages = messages.list.eval(role.is_in(_TOOL_ROLES).cast(pl.Int32)).list.sum()
    derived["n_images"] = images if images is not None else pl.lit(0, dtype=pl.Int32)
    derived["n_tool_results"] = tool_messages + tool_parts if tool_parts is not None else tool_messages
    if message_text(pl.element(), content_dtype) is None:
        return derived  # no text in these messages: prompt and system stay null

    def text_of(selected: pl.Expr) -> pl.Expr:
        return cast(pl.Expr, message_text(selected.struct.field("content"), content_dtype))

    # The last user message's text (null when it has none, e.g. only an image).
    derived["prompt"] = messages.list.eval(text_of(message.filter(is_user))).list.last()
    system_texts = messages.list.eval(text_of(message.filter(is_system)).drop_nulls())
    derived["system"] = pl.when(system_texts.list.len() > 0).then(system_texts.list.join("\n"))
    return derived


def is_messages_dtype(dtype: pl.DataType) -> bool:
    """A list of structs with a `role` field."""
    return (
        isinstance(dtype, pl.List)
        and isinstance(dtype.inner, pl.Struct)
        and any(f.name == "role" for f in dtype.inner.fields)
    )


def loose_messages(text: pl.Expr) -> pl.Expr:
    """Messages text from a value that may also be a plain prompt (one user turn) or an
    object holding `messages`; an object without them gives null (no messages)."""
    head = text.str.strip_chars_start().str.slice(0, 1)
    as_user_turn = pl.concat_str(
        pl.lit('[{"role":"user",'), pl.struct(content=text).struct.json_encode().str.slice(1),
        pl.lit("]"),
    )
    return (
        pl.when(text.is_null())
        .then(pl.lit(None, pl.String()))
        .when(head == "[")
        .then(text)
        .when(head == "{")
        .then(text.str.json_path_match("$.messages"))
        .otherwise(as_user_turn)
    )


def decode_messages_expr(text: pl.Expr) -> pl.Expr:
    """JSON messages text decoded lazily: string contents rewritten as one text part."""
    rewritten = text.str.replace_all(_STRING_CONTENT_RE, _STRING_CONTENT_TO_PARTS)
    return rewritten.str.json_decode(MESSAGES_DTYPE)


# ---------------------------------------------------------------------------
# Decoding a column of JSON text now (JSONL batches)
# ---------------------------------------------------------------------------


def decode_messages(
    frame: pl.DataFrame, name: str, loose: bool = False
) -> tuple[pl.Series, pl.Series | None]:
    """Decode a column of JSON-encoded messages at Polars speed, else value by value.

    Returns the decoded column and, when some values are not messages, a mask of them.
    (An expression in `select` decodes several times faster than `Series.str`.) With
    `loose`, a value that is not a messages list is a plain prompt (see `loose_messages`).
    """
    text = pl.col(name)
    try:  # every content a string
        return frame.select(text.str.json_decode(_MESSAGES_TEXT_DTYPE)).to_series(), None
    except PARSE_ERRORS:
        pass
    try:  # strings and/or lists of parts
        return frame.select(decode_messages_expr(text)).to_series(), None
    except PARSE_ERRORS:
        pass
    values: list[list[dict[str, Any]] | None] = []
    bad: list[bool] = []
    for item in frame.get_column(name).to_list():
        normalised = normalise_messages(item, loose)
        values.append(normalised if normalised is not False else None)
        bad.append(normalised is False)
    return pl.Series(name, values, dtype=MESSAGES_DTYPE), pl.Series("__messages_bad", bad)


def decode_text_blocks(column: pl.Series) -> pl.Series:
    """Text that may be a JSON list of {type, text} blocks (read as text): the blocks'
    text parts joined by newlines; any other value is kept as it is."""
    rows = column.str.strip_chars_start().str.starts_with("[").fill_null(False).arg_true()
    if rows.is_empty():
        return column
    values: list[str | None] = []
    for item in column.gather(rows).to_list():
        try:
            value = json.loads(item)
        except (ValueError, RecursionError):
            values.append(item)
            continue
        normalised = normalise_messages(json.dumps([{"role": "x", "content": value}]))
        if not isinstance(value, list) or not normalised or normalised[0]["content"] is None:
            values.append(item)
            continue
        texts = [
            part["text"]
            for part in normalised[0]["content"]
            if part["text"] is not None
            and (part["type"] is None or part["type"] in _TEXT_PART_TYPES)
        ]
        values.append("\n".join(texts) if texts else None)
    decoded: pl.Series = column.clone().scatter(rows, pl.Series(values, dtype=pl.String()))
    return decoded


def normalise_messages(
    item: str | None, loose: bool = False
) -> list[dict[str, Any]] | Literal[False] | None:
    """One messages value as {role, content: [{type, text}]}; False when it is not one.

    With `loose`, text that is not a messages list is the prompt, one user turn, and an
    object's `messages` are its messages (an object without them has none).
    """
    if item is None:
        return None
    try:
        value = json.loads(item)
    except (ValueError, RecursionError):
        value = None if loose else False
    if loose and isinstance(value, dict):
        value = value.get("messages")
        if value is None:
            return None
    messages = _messages_of(value) if isinstance(value, list) else False
    if messages is False and loose:
        return [{"role": "user", "content": [{"type": "text", "text": item}]}]
    return messages


def _messages_of(value: list[Any]) -> list[dict[str, Any]] | Literal[False]:
    """A decoded JSON list as {role, content: [{type, text}]} messages; False if it is not."""
    out: list[dict[str, Any]] = []
    for message in value:
        if not isinstance(message, dict):
            return False
        role = message.get("role")
        content = message.get("content")
        parts: list[dict[str, Any]] | None
        if content is None:
            parts = None
        elif isinstance(content, str):
            parts = [{"type": "text", "text": content}]
        elif isinstance(content, (list, dict)):
            parts = []
            for part in content if isinstance(content, list) else [content]:
                if isinstance(part, str):
                    parts.append({"type": "text", "text": part})
                elif isinstance(part, dict):
                    kind = part.get("type")
                    text = part.get("text")
                    parts.append(
                        {
                            "type": None if kind is None else str(kind),
                            "text": text if isinstance(text, str) else None,
                        }
                    )
        else:
            return False
        out.append({"role": None if role is None else str(role), "content": parts})
    return out
