"""distillscan: find coordinated model-distillation campaigns in LLM API request logs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("distillscan")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
