"""Reading: the paths a user names → canonical shards of requests.

The stage runs in this order (module in brackets):

1. Discovery [sources]: files, folders, globs and `-` become `LogSource`s, each with
   its format (Parquet or JSONL) and compression, detected from content. `-` carries
   its stream [stdin], so what sampling peeks is replayed to the reader.
2. Presets [preset, builtin_presets, preset_config, detect]: a preset maps a log
   format's fields onto the canonical columns; it is named, or detected from the
   fields of a source's first records [sample].
3. Reading [load, reader]: `iter_shards` reads each source with the `Reader` of its
   format [parquet; jsonl with decompress, lines, raw_paths, otlp, strict_json] and
   yields `Shard`s [shards] whose frames hold exactly `schema.CANONICAL_SCHEMA`.
4. Canonicalisation, shared by both readers [canonical]: the preset's column specs
   [columns] are cast to canonical dtypes [convert], prompt and system are derived
   from messages [messages], and bad rows are raised or skipped and recorded.
5. Repeats [dedupe]: a request logged more than once is counted once.

Nothing here imports the later stages (aggregate, fingerprint, link, score, report, cli).
"""

from __future__ import annotations

from distillscan.read.builtin_presets import BUILTIN, NATIVE, builtin_presets
from distillscan.read.choice import MIXED, PresetChoice, choose_presets, inspect_schema, read_shards
from distillscan.read.dedupe import SeenRequests, unique_batches
from distillscan.read.detect import Detection, SchemaReport, describe, detect_preset, resolve
from distillscan.read.jsonl import DEFAULT_BATCH_BYTES
from distillscan.read.load import LoadReport, iter_shards, load_frame
from distillscan.read.preset import Preset
from distillscan.read.preset_config import CONFIG_FILE, Config, load_config, parse_presets
from distillscan.read.sample import sample_fields, sample_source_fields
from distillscan.read.shards import Shard, merge_skipped, read_batches
from distillscan.read.sources import discover_sources
from distillscan.read.stdin import STDIN_PATH

__all__ = [
    "BUILTIN",
    "CONFIG_FILE",
    "DEFAULT_BATCH_BYTES",
    "MIXED",
    "NATIVE",
    "STDIN_PATH",
    "Config",
    "Detection",
    "LoadReport",
    "Preset",
    "PresetChoice",
    "SchemaReport",
    "SeenRequests",
    "Shard",
    "builtin_presets",
    "choose_presets",
    "describe",
    "detect_preset",
    "discover_sources",
    "inspect_schema",
    "iter_shards",
    "load_config",
    "load_frame",
    "merge_skipped",
    "parse_presets",
    "read_batches",
    "read_shards",
    "resolve",
    "sample_fields",
    "sample_source_fields",
    "unique_batches",
]
