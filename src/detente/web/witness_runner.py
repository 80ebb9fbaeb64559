"""A witness served in a thread of this process: its key and state in a folder, its ASGI app on a loopback port.

For the demo (``detente demo`` runs one witness per policy slot, so its log verifies end to end on one machine) and
the tests. A real witness runs on its holder's own machine with ``detente witness serve``.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from detente.clock import system_clock
from detente.errors import ConfigError
from detente.services.witness import WitnessServer, load_witness_key, witness_keygen
from detente.web.witness import create_witness_app

__all__ = ["ThreadedWitness", "free_port", "prepare_witness"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ThreadedWitness:
    name: str
    key_file: Path
    state: Path
    port: int
    vkey: str
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait_seconds: float = 10.0) -> None:
        """Serve until :meth:`stop`; returns once the witness answers (ConfigError if it never does)."""
        app = create_witness_app(WitnessServer(load_witness_key(self.key_file), self.state, clock=system_clock))
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"witness {self.name}", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and self.thread.is_alive():
            try:
                httpx.get(self.url + "/", timeout=0.5)
                return
            except httpx.TransportError:
                time.sleep(0.02)
        self.stop()
        raise ConfigError(f"the witness {self.name} could not be served on port {self.port}")

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
        self.server = self.thread = None


def prepare_witness(folder: Path, name: str, port: int | None = None) -> ThreadedWitness:
    """The witness kept in *folder* (its key made the first time), to be served on *port* (a free one if None)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_file = folder / "witness.key"
    vkey = load_witness_key(key_file).public.vkey if key_file.exists() else witness_keygen(name, key_file).vkey
    return ThreadedWitness(name=name, key_file=key_file, state=folder / "state", port=port or free_port(), vkey=vkey)
