"""Ending a registry conversation when the audit's deadline passes, in whatever read it is blocked.

A read timeout starts again with every byte, so a server that drips a byte a second never trips it; and
the status line, headers and chunk sizes are read inside http.client, which does not come back to us
between bytes. So every connection a client opens registers its socket here, and once the deadline
passes a timer thread shuts those sockets down: the blocked read returns, the request fails, and the
client, finding the deadline passed, raises DeadlineExceeded. A thread, not SIGALRM, which only reaches
the main thread. (A TLS handshake still in progress is bounded by the connect timeout only.)
"""

from __future__ import annotations

import math
import socket
import threading
import weakref
from typing import Any

import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Watchdog:
    """Shuts down every watched socket `seconds` from now (never, for an infinite wait)."""

    def __init__(self, seconds: float) -> None:
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._tripped = False
        self._timer: threading.Timer | None = None
        if math.isfinite(seconds):
            self._timer = threading.Timer(max(seconds, 0.0), self.trip)
            self._timer.daemon = True
            self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the time comes (at once, if it has come)."""
        with self._lock:
            self._sockets.add(sock)
            tripped = self._tripped
        if tripped:
            _shut(sock)

    def trip(self) -> None:
        """Shut every watched socket down now."""
        with self._lock:
            self._tripped = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def stop(self) -> None:
        """Cancel the timer (the client is done)."""
        if self._timer is not None:
            self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class WatchedAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose connections register with a watchdog, and whose TLS uses our context (so extra
    CAs add to the default roots rather than replace them)."""

    def __init__(self, context: Any, watchdog: Watchdog) -> None:
        self._context = context
        self._pools = _pool_classes(watchdog)
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools are classes of their own
            manager.pool_classes_by_scheme = self._pools
        return manager


def _pool_classes(watchdog: Watchdog) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pools whose connections hand their socket to `watchdog` once connected."""

    class Connection(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watchdog.watch(self.sock)

    class TLSConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watchdog.watch(self.sock)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = TLSConnection

    return {"http": Pool, "https": TLSPool}
