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
    with pytest.raises(ValueError):
        SynthConfig(n_requests=50_000, campaign_scale=60_000)
    with pytest.raises(ValueError):
        SynthConfig(n_requests=50_000, campaign_scale=5_000)


def test_the_campaign_basis_is_the_scale_when_given() -> None:
    assert SynthConfig(n_requests=50_000).campaign_basis == 50_000
    config = SynthConfig(n_requests=50_000, campaign_scale=20_000)
    assert config.campaign_basis == 20_000 and config.campaign_rows == 5_000
