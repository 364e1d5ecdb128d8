"""Shared fixtures: the real media folder, and a guard that fails any test that goes online."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MEDIA = Path(__file__).resolve().parent.parent.parent / "shared" / "media"


@pytest.fixture
def media() -> Path:
    """The real clips of ../shared/media; tests using it skip when it is absent."""
    if not (MEDIA / "MANIFEST.md").is_file():
        pytest.skip(f"real media folder {MEDIA} is absent (it sits beside the project in CI)")
    return MEDIA


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return isinstance(address, (str, bytes))  # a Unix socket path, not the network


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing vigvision does may reach beyond this machine: any attempt fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family == socket.AF_UNIX or _is_loopback(address):
            return real_connect(self, address)
        raise AssertionError(f"a network connection was attempted to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded)
    yield
