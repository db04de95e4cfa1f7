"""The built-in presets: the native schema and the log formats distillscan reads as is.

Each entry is data (see `preset.Preset`): the source paths of each canonical column,
first non-null wins, and the signatures that detect the format (see `detect`).
"""

from __future__ import annotations

from typing import Final

from distillscan.read.preset import Preset, make_preset
from distillscan.schema import CANONICAL_SCHEMA

NATIVE: Final = "native"

# Proxy-added fields shared by the request-body presets.
_PROXY_TIME: Final = ("timestamp", "created_at", "created", "time")
_PROXY_IP: Final = ("ip", "client_ip", "ip_address", "metadata.ip")
_PROXY_UA: Final = ("user_agent", "metadata.user_agent")

BUILTIN: Final[dict[str, Preset]] = {
    p.name: p
    for p in [
        make_preset(
            NATIVE,
            "the documented canonical schema",
            {name: name for name in CANONICAL_SCHEMA},
        ),
        make_preset(
            "openai-chat",
            "Chat Completions request bodies as logged by a proxy",
            {
                "account_id": ("account_id", "user", "metadata.user_id", "api_key_id"),
                "timestamp": _PROXY_TIME,
                "model": "model",
                "request_id": ("request_id", "id"),
                "ip": _PROXY_IP,
                "user_agent": _PROXY_UA,
                "org_id": ("org_id", "organization", "metadata.org_id"),
                "temperature": "temperature",
                "max_tokens": ("max_completion_tokens", "max_tokens"),
                "input_tokens": "usage.prompt_tokens",
                "output_tokens": "usage.completion_tokens",
            },
            detect=[{"model", "messages"}],
            exclude={"system", "params", "body", "startTime", "attributes", "traceId",
                     "prompt_tokens", "custom_id"},
        ),
        make_preset(
            "openai-batch",
            "Batch API input lines (custom_id, method, url, body), optionally joined "
            "with their output line (response.body)",
            {
                "account_id": ("account_id", "body.user", "body.metadata.user_id", "user"),
                "timestamp": (*_PROXY_TIME, "response.body.created"),
                "model": ("body.model", "response.body.model"),
                "request_id": ("custom_id", "response.request_id"),
                "ip": _PROXY_IP,
                "user_agent": _PROXY_UA,
                "temperature": "body.temperature",
                "max_tokens": ("body.max_completion_tokens", "body.max_tokens"),
                "input_tokens": "response.body.usage.prompt_tokens",
                "output_tokens": "response.body.usage.completion_tokens",
            },
            messages=["body.messages"],
            detect=[{"custom_id", "body"}, {"custom_id", "method", "url"},
                    {"custom_id", "response.body"}],
            exclude={"params"},
            hints={
                "timestamp": "Batch API input lines carry no time; scan them joined with "
                "their output lines, whose response.body.created is the time (see README, "
                "openai-batch)",
                "account_id": "Batch API output lines hold no user or prompt; join them "
                "with their input lines on custom_id (see README, openai-batch); input "
                "lines name the account in body.user or body.metadata.user_id",
                "prompt": "Batch API output lines hold no prompt; join them with their "
                "input lines on custom_id (see README, openai-batch)",
            },
        ),
        make_preset(
            "anthropic-messages",
            "Messages API requests, and Message Batches entries (custom_id, params)",
            {
                "account_id": ("account_id", "metadata.user_id", "params.metadata.user_id",
                               "user"),
                "timestamp": _PROXY_TIME,
                "model": ("model", "params.model"),
                "request_id": ("request_id", "custom_id", "id"),
                "ip": _PROXY_IP,
                "user_agent": _PROXY_UA,
                "system": ("system", "params.system"),
                "temperature": ("temperature", "params.temperature"),
                "max_tokens": ("max_tokens", "params.max_tokens"),
                "input_tokens": ("usage.input_tokens", "result.message.usage.input_tokens"),
                "output_tokens": ("usage.output_tokens", "result.message.usage.output_tokens"),
            },
            messages=["messages", "params.messages"],
            text_blocks=["system"],
            detect=[{"model", "messages", "system"}, {"model", "messages", "metadata.user_id"},
                    {"custom_id", "params"}],
            exclude={"body", "startTime", "attributes", "traceId"},
        ),
        make_preset(
            "litellm",
            "LiteLLM spend logs / standard logging payload",
            {
                "account_id": ("user", "end_user", "api_key", "team_id", "organization_id"),
                "timestamp": ("startTime", "start_time"),
                "model": ("model", "model_group"),
                "request_id": ("request_id", "id"),
                "ip": ("requester_ip_address", "metadata.requester_ip_address"),
                "user_agent": ("user_agent", "metadata.user_agent",
                               "metadata.headers.user-agent"),
                "org_id": ("organization_id", "team_id"),
                "input_tokens": "prompt_tokens",
                "output_tokens": "completion_tokens",
                "temperature": ("model_parameters.temperature", "temperature"),
                "max_tokens": ("model_parameters.max_tokens", "max_tokens"),
            },
            messages=["messages", "proxy_server_request.messages"],
            detect=[{"startTime", "model", "prompt_tokens"}, {"startTime", "spend"},
                    {"startTime", "api_key", "messages"}],
            exclude={"traceId", "attributes"},
        ),
        make_preset(
            "langfuse",
            "Langfuse generation observations export",
            {
                "account_id": ("userId", "user_id", "metadata.user_id"),
                "timestamp": ("startTime", "start_time"),
                "model": "model",
                "request_id": "id",
                "conversation_id": ("sessionId", "traceId"),
                "temperature": "modelParameters.temperature",
                "max_tokens": "modelParameters.max_tokens",
                "input_tokens": ("usage.input", "usage.promptTokens", "promptTokens"),
                "output_tokens": ("usage.output", "usage.completionTokens", "completionTokens"),
                "response": ("output.content", "output"),
            },
            messages=["input", "input.messages"],
            text_blocks=["response"],
            detect=[{"traceId", "startTime", "input"}, {"startTime", "userId", "input", "output"}],
            exclude={"attributes", "spend"},
            loose_messages=["input"],
        ),
        make_preset(
            "otel-genai",
            "OpenTelemetry GenAI spans: OTLP/JSON envelopes (Collector file exporter, "
            "OTLP/HTTP JSON; one row per GenAI span) or one span per line (attributes "
            "nested or flat dotted keys)",
            {
                "account_id": ("attributes.user.id", "attributes.enduser.id",
                               "attributes.langfuse.user.id",
                               "attributes.traceloop.association.properties.user_id",
                               "user.id", "enduser.id"),
                "timestamp": ("start_time", "startTime", "timestamp"),
                "model": ("attributes.gen_ai.request.model", "gen_ai.request.model",
                          "attributes.gen_ai.response.model"),
                "request_id": ("context.span_id", "span_id", "spanId"),
                "conversation_id": ("attributes.gen_ai.conversation.id",
                                    "gen_ai.conversation.id", "attributes.session.id"),
                "ip": ("attributes.client.address", "client.address"),
                "user_agent": ("attributes.user_agent.original", "user_agent.original"),
                "input_tokens": ("attributes.gen_ai.usage.input_tokens",
                                 "gen_ai.usage.input_tokens",
                                 "attributes.gen_ai.usage.prompt_tokens"),
                "output_tokens": ("attributes.gen_ai.usage.output_tokens",
                                  "gen_ai.usage.output_tokens",
                                  "attributes.gen_ai.usage.completion_tokens"),
                "temperature": ("attributes.gen_ai.request.temperature",
                                "gen_ai.request.temperature"),
                "max_tokens": ("attributes.gen_ai.request.max_tokens",
                               "gen_ai.request.max_tokens"),
            },
            # `messages`: what an OTLP envelope's span holds, already normalised.
            messages=["messages", "attributes.gen_ai.prompt", "attributes.gen_ai.input.messages",
                      "gen_ai.prompt", "gen_ai.input.messages"],
            detect=[{"attributes.gen_ai.request.model"}, {"gen_ai.request.model"},
                    {"attributes.gen_ai.system"}, {"gen_ai.system"}, {"resourceSpans"}],
            envelope="otlp",
            hints={
                "account_id": "GenAI spans name the account in the user.id or enduser.id "
                "attribute (span or resource); map another one with "
                "--map account_id=attributes.NAME",
            },
        ),
        make_preset(
            "gateway-jsonl",
            "flat gateway access log (request_id, account_id, ip_address, system_prompt, ...)",
            {
                "account_id": "account_id",
                "timestamp": "timestamp",
                "prompt": "prompt",
                "system": "system_prompt",
                "model": "model",
                "request_id": "request_id",
                "ip": ("ip_address", "client_ip"),
                "user_agent": "user_agent",
                "payment_fingerprint": "payment_method_hash",
                "input_tokens": "token_count",
                "max_tokens": "max_tokens",
            },
            detect=[{"account_id", "prompt", "system_prompt"},
                    {"account_id", "prompt", "payment_method_hash"},
                    {"account_id", "prompt", "asn_number"},
                    {"account_id", "prompt", "token_count"}],
        ),
    ]
}


def builtin_presets() -> dict[str, Preset]:
    """A fresh copy of the built-in presets, by name (to add a config file's to)."""
    return dict(BUILTIN)
