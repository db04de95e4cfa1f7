"""Which preset each source is read with: named on the command line, or detected per
file from its first records; and the schema report `distillscan schema` prints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Final

from distillscan.errors import UsageError
from distillscan.model.inputs import LogSource
from distillscan.model.scan import ScanOptions
from distillscan.read.builtin_presets import BUILTIN, NATIVE
from distillscan.read.detect import Detection, SchemaReport, describe, detect_preset, resolve
from distillscan.read.load import iter_shards
from distillscan.read.preset import Preset
from distillscan.read.sample import sample_source_fields
from distillscan.read.shards import Shard
from distillscan.read.sources import discover_sources

MIXED: Final = "mixed"


@dataclass(frozen=True)
class PresetChoice:
    """The preset each source is read with, and why."""

    sources: tuple[tuple[LogSource, Preset, Detection], ...]

    @property
    def name(self) -> str:
        """The preset all sources share, else `mixed`."""
        names = {preset.name for _, preset, _ in self.sources}
        return names.pop() if len(names) == 1 else (MIXED if names else NATIVE)

    @property
    def reason(self) -> str:
        if not self.sources:
            return ""
        if self.name != MIXED:
            return self.sources[0][2].reason
        files: dict[str, list[str]] = {}
        for source, preset, _ in self.sources:
            files.setdefault(preset.name, []).append(source.path)
        return "files differ: " + "; ".join(
            f"{name} ({len(paths)} file(s): {', '.join(paths[:2])}{', …' if len(paths) > 2 else ''})"
            for name, paths in files.items()
        )

    def by_file(self) -> dict[str, str]:
        return {source.path: preset.name for source, preset, _ in self.sources}


def choose_presets(sources: Sequence[LogSource], options: ScanOptions) -> PresetChoice:
    """The preset named in the options for every source, or each source's own.

    Each file (standard input included) is detected from its first records, so a
    folder of mixed gateway dumps is read file by file. A file that cannot be sampled
    (a named pipe, an empty or unreadable file) takes the preset the others agree on,
    else native; the reader reports why an unreadable one cannot be read.
    """
    registry = options.presets if options.presets is not None else BUILTIN
    if options.preset not in (None, "auto"):
        preset, detection = resolve(options.preset, registry, None)
        return PresetChoice(tuple((source, preset, detection) for source in sources))
    detected: dict[int, tuple[Preset, Detection]] = {}
    for index, source in enumerate(sources):
        fields = sample_source_fields(source)
        if not fields:
            continue
        try:
            detection = detect_preset(fields, registry)
        except UsageError as error:
            raise UsageError(f"{source.path}: {error}") from None
        detected[index] = (registry[detection.preset], detection)
    names = {preset.name for preset, _ in detected.values()}
    if len(names) == 1:
        fallback = next(iter(detected.values()))
        fallback = (fallback[0], Detection(fallback[1].preset,
                                           "not sampled: as the other files"))
    else:
        fallback = (registry[NATIVE], Detection(NATIVE, "not sampled: native schema"))
    return PresetChoice(tuple(
        (source, *detected.get(index, fallback)) for index, source in enumerate(sources)
    ))


def inspect_schema(paths: Sequence[str], options: ScanOptions) -> SchemaReport:
    """The fields of a log, the preset a scan would use, and what it maps.

    Describes the first file; `presets_by_file` says what every file is read with.
    """
    sources = discover_sources(paths, options.input_format)
    choice = choose_presets(sources, options)
    registry = options.presets if options.presets is not None else BUILTIN
    if choice.sources:
        first, preset, detection = choice.sources[0]
        fields = sample_source_fields(first)
    else:
        preset, detection = resolve(options.preset, registry, ())
        fields = []
    report = describe(fields, preset.with_overrides(options.column_map), detection)
    return replace(report, presets_by_file=choice.by_file())


def read_shards(choice: PresetChoice, options: ScanOptions) -> Iterator[Shard]:
    """Every source read with its own preset, in order."""
    for source, preset, _ in choice.sources:
        yield from iter_shards(
            [source],
            column_map=options.column_map,
            skip_errors=options.skip_errors,
            preset=preset,
        )
