"""Stream an export of the filtered events: the project's own writers (``detente.events.export``) run in a
worker thread and write into a bounded queue that the HTTP response reads, so memory stays bounded and the
files are the same as the CLI's (CSV re-imports with the same event ids)."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pyarrow as pa

from detente.events.export import export_events

__all__ = ["stream_export"]

_DONE = object()


class _QueueSink(io.RawIOBase):
    """A write-only binary file that hands its bytes to a queue (in chunks of about 64 KiB)."""

    def __init__(self, q: queue.Queue[object], cancelled: threading.Event) -> None:
        super().__init__()
        self.q = q
        self.cancelled = cancelled
        self.buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        self.buf += data
        if len(self.buf) >= 65536:
            self.drain()
        return len(data)

    def drain(self) -> None:
        if self.buf:
            self._put(bytes(self.buf))
            self.buf.clear()

    def _put(self, item: object) -> None:
        while True:
            if self.cancelled.is_set():
                raise _Cancelled
            try:
                self.q.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


class _Cancelled(Exception):
    pass


def stream_export(tables: Callable[[], Iterable[pa.Table]], fmt: str) -> Iterator[bytes]:
    """Bytes of ``fmt`` for the tables, produced in a worker thread; stops the worker if the reader goes away."""
    q: queue.Queue[object] = queue.Queue(maxsize=16)
    cancelled = threading.Event()
    sink = _QueueSink(q, cancelled)
    failure: list[BaseException] = []

    def work() -> None:
        try:
            export_events(tables(), fmt, sink)  # type: ignore[arg-type]
            sink.drain()
        except _Cancelled:
            return
        except BaseException as exc:  # handed to the reader, which raises it
            failure.append(exc)
        try:
            sink._put(_DONE)
        except _Cancelled:
            return

    worker = threading.Thread(target=work, name="detente-export", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                break
            assert isinstance(item, bytes)
            yield item
        if failure:
            raise failure[0]
    finally:
        cancelled.set()
        worker.join(timeout=5)
