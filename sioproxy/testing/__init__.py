"""Test helpers shipped as product: the pytest plugin's machinery.

Layer: ``paths`` and ``settings`` are pure; ``background``, ``episodes`` and
``session`` drive the transport layer (twisted). This ``__init__`` imports
only the pure parts, so loading the pytest plugin installs no reactor.
"""

from sioproxy.testing.paths import (
    default_recording_path,
    is_inside,
    named_recording_path,
    recordings_root,
    safe_component,
)
from sioproxy.testing.settings import RECORD_MODES, Settings, plan

__all__ = [
    "RECORD_MODES",
    "Settings",
    "default_recording_path",
    "is_inside",
    "named_recording_path",
    "plan",
    "recordings_root",
    "safe_component",
]
