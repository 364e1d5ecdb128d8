"""vigvision: candidate moments of attuned interaction in films, for Video Interaction Guidance."""

import os as _os

# onnxruntime 1.29 and later, on Linux and macOS, keep a device id and queue usage events
# in ~/.cache/Microsoft to send them to Microsoft. Nothing of vigvision may go anywhere, nor
# outside the folder the user chose: both switches (the name changed between releases) turn
# it off wholly, and must be set before onnxruntime starts, so here, before any import of it.
for _switch in ("ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED"):
    _os.environ.setdefault(_switch, "1")

__version__ = "0.1.0"
