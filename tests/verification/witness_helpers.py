"""Witnesses over real HTTP for the tests: ``detente witness`` key and state in a temporary directory, its ASGI app
served by uvicorn in a thread on a free port (stopped and restarted on demand)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from detente.clock import system_clock
from detente.services.witness import WitnessServer, load_witness_key, witness_keygen
from detente.web.witness import create_witness_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningWitness:
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

    def start(self) -> None:
        app = create_witness_app(WitnessServer(load_witness_key(self.key_file), self.state, clock=system_clock))
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/", timeout=0.5)
                return
            except httpx.TransportError:
                time.sleep(0.02)
        raise RuntimeError(f"witness {self.name} did not start")

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
        self.server = self.thread = None


def make_witness(root: Path, name: str) -> RunningWitness:
    folder = root / name.replace("/", "_")
    folder.mkdir(parents=True)
    key_file = folder / "witness.key"
    public = witness_keygen(name, key_file)
    return RunningWitness(name=name, key_file=key_file, state=folder / "state", port=free_port(), vkey=public.vkey)


@contextmanager
def running_witnesses(root: Path, count: int, prefix: str = "witness.test/w") -> Iterator[list[RunningWitness]]:
    witnesses = [make_witness(root, f"{prefix}{i}") for i in range(count)]
    try:
        for w in witnesses:
            w.start()
        yield witnesses
    finally:
        for w in witnesses:
            w.stop()
