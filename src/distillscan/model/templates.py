"""What makes a frame a template and how a template is named in every report.

The public template id is a fingerprint of the skeleton text; it must not change
across versions, since reports, baselines and shared indicators quote it.
"""

from __future__ import annotations

import hashlib
from typing import Final

# A frame needs this many requests to be a template (and to take part in clustering).
MIN_TEMPLATE_REQUESTS: Final = 3
# A template counts as "repeated" in a key's traffic once it carries this many requests.
REPEATED_TEMPLATE_MIN_REQUESTS: Final = MIN_TEMPLATE_REQUESTS


def stable_fp(text: str) -> str:
    """A short fingerprint of skeleton text that is stable across versions and platforms."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
