"""What vigvision prints besides results: warnings as one line each, and no library noise.

MediaPipe, absl and TFLite write to the process's native stderr from their own threads on
first use ("Created TensorFlow Lite XNNPACK delegate", "inference_feedback_manager"...);
environment variables do not stop all of it. ``filter_native_noise`` reroutes native
stderr through a filter that drops those lines and passes everything else through.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading
from typing import Final

import av.logging
from rich.console import Console
from rich.logging import RichHandler

# Lines the native libraries print on import and first use; none of them is for the user.
_NATIVE_NOISE: Final = re.compile(
    rb"^(?:[IWEF]\d{4} [\d:.]+ +\d+ [\w./-]+:\d+\]"
    rb"|INFO: Created TensorFlow Lite"
    rb"|WARNING: All log messages before absl::InitializeLog"
    rb"|INFO: Initialized TensorFlow Lite runtime)"
)
_QUIET_ENV: Final = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}


def is_native_noise(line: bytes) -> bool:
    return bool(_NATIVE_NOISE.match(line))


def stderr_console() -> Console:
    """The console for progress and messages: stderr, so stdout holds only results."""
    return Console(stderr=True)


def configure(debug: bool = False, quiet: bool = False) -> None:
    """Warnings as one plain line each; everything (with FFmpeg's log) under ``--debug``."""
    root = logging.getLogger("vigvision")
    root.handlers.clear()
    root.propagate = False
    if debug:
        handler: logging.Handler = RichHandler(console=stderr_console(), show_path=False)
        root.setLevel(logging.DEBUG)
        av.logging.set_level(av.logging.VERBOSE)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        root.setLevel(logging.ERROR if quiet else logging.WARNING)
        for key, value in _QUIET_ENV.items():
            os.environ.setdefault(key, value)
    root.addHandler(handler)


class NativeNoiseFilter:
    """Routes file descriptor 2 through a thread that drops native library noise.

    Python's ``sys.stderr`` is pointed at the original stream first, so messages and
    progress bars of our own go straight to the terminal, untouched.
    """

    def __init__(self) -> None:
        self._original_fd = os.dup(2)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._python_stderr = sys.stderr
        sys.stderr = io.TextIOWrapper(
            os.fdopen(os.dup(self._original_fd), "wb", buffering=0),
            encoding=getattr(self._python_stderr, "encoding", None) or "utf-8",
            errors="replace",
            line_buffering=True,
        )
        self._reader = threading.Thread(
            target=self._pump, args=(read_fd,), name="vigvision-stderr", daemon=True
        )
        self._reader.start()

    def _pump(self, read_fd: int) -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            for line in pipe:
                if not is_native_noise(line):
                    os.write(self._original_fd, line)

    def close(self) -> None:
        sys.stderr.flush()
        os.dup2(self._original_fd, 2)  # closes the pipe's last writer: the reader sees EOF
        self._reader.join(timeout=2)
        sys.stderr = self._python_stderr
        os.close(self._original_fd)
