"""Settings: out-of-range values are refused."""

from __future__ import annotations

import pytest

from distillscan.synth import SynthConfig


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        SynthConfig(n_requests=10)
    with pytest.raises(ValueError):
        SynthConfig(new_model_day=30)
    with pytest.raises(ValueError):
        SynthConfig(volume=0)
