"""A scripted registry on loopback for the registry tests: canned images, challenges and hostile bodies.

`Scripted` answers a request for a path in `routes` with that reply, any other with the next reply of
`script` (or `default`), and records what each request carried; with `login` set, a request without
that Authorization header gets a Basic challenge instead. A reply is `(status, headers, body)`,
"reset" (drop the connection), or a callable given the handler that returns a reply or writes one
itself and returns None (`endless`, `drip`). Only 127.0.0.1 is ever listened on.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Union

from testing import imagekit as kit

Reply = Union[tuple[int, dict[str, str], bytes], str, Callable[["Handler"], Any]]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class Request:
    """What one request carried."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


class Scripted(http.server.ThreadingHTTPServer):
    """A registry that answers from `routes`, else from `script`, else with `default`."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Reply] = {}
        self.script: list[Reply] = []
        self.default: Reply = (404, {}, b"")
        self.login: str | None = None  # the Authorization header required, e.g. basic("u", "p")
        self.requests: list[Request] = []
        self.sent = 0  # bytes an `endless` or `drip` reply managed to send
        self.finished = threading.Event()  # set when an `endless` or `drip` reply stops

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    @property
    def seen(self) -> list[tuple[str, dict[str, str]]]:
        """(path, headers) of each request, in order."""
        return [(r.path, r.headers) for r in self.requests]

    def authorizations(self) -> list[str]:
        """Every Authorization header this server received."""
        return [r.headers["Authorization"] for r in self.requests if "Authorization" in r.headers]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (a timeout or cap test) leaves a broken pipe behind; nothing to report


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        server: Scripted = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server.requests.append(Request(self.command, self.path, dict(self.headers), body))
        route = self.path.split("?", 1)[0]
        if server.login is not None and self.headers.get("Authorization") != server.login:
            reply: Reply = challenge('Basic realm="scripted"')
        elif route in server.routes:
            reply = server.routes[route]
        else:
            reply = server.script.pop(0) if server.script else server.default
        if callable(reply):
            reply = reply(self)
            if reply is None:
                return
        if reply == "reset":
            self.close_connection = True
            return
        status, headers, data = reply
        self.send_response(status)
        for name, value in {"Content-Length": str(len(data)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def running() -> Iterator[Scripted]:
    """A `Scripted` registry serving on a thread until the block ends."""
    server = Scripted()
    # poll every 50 ms, not the default 500: shutdown() waits for the next poll, in every test's teardown
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def endless(status: int = 200, head: bytes = b"", fill: bytes = b"0", chunk: int = 1 << 16,
            stop_after: int = 128 << 20) -> Callable[[Handler], None]:
    """A reply whose body never ends (it claims a huge Content-Length): `head`, then `fill` bytes until
    the client hangs up, or `stop_after` bytes (so the test ends even when the client reads everything)."""

    def reply(handler: Handler) -> None:
        server: Scripted = handler.server  # type: ignore[assignment]
        handler.send_response(status)
        handler.send_header("Content-Length", str(1 << 40))
        handler.end_headers()
        block = fill * chunk
        try:
            handler.wfile.write(head)
            while server.sent < stop_after:
                handler.wfile.write(block)
                server.sent += len(block)
        except OSError:
            pass
        finally:
            handler.close_connection = True
            server.finished.set()

    return reply


def drip(status: int = 200, every: float = 0.3, headers_too: bool = False,
         stop_after: float = 30.0) -> Callable[[Handler], None]:
    """A reply that sends one byte every `every` seconds, never long enough apart to trip a read timeout:
    its body (after prompt headers), or with `headers_too` its header lines themselves. Gives up after
    `stop_after` seconds, so a test against a client without a deadline still ends."""

    def reply(handler: Handler) -> None:
        server: Scripted = handler.server  # type: ignore[assignment]
        started = time.monotonic()
        try:
            if headers_too:
                handler.wfile.write(f"HTTP/1.1 {status} OK\r\n".encode())
                payload = b"X-Slow: " + b"a" * 60000
            else:
                handler.send_response(status)
                handler.send_header("Content-Length", "100000")
                handler.end_headers()
                payload = b"{" + b" " * 99999
            for byte in payload:
                if time.monotonic() - started > stop_after:
                    break
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                server.sent += 1
                time.sleep(every)
        except OSError:
            pass
        finally:
            handler.close_connection = True
            server.finished.set()

    return reply


def basic(user: str, password: str) -> str:
    """The Authorization header of a Basic login."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def challenge(header: str) -> tuple[int, dict[str, str], bytes]:
    """A 401 carrying `WWW-Authenticate: header`."""
    return 401, {"WWW-Authenticate": header}, b""


def json_reply(document: Any, media_type: str = "application/json") -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": media_type}, json.dumps(document).encode()


def image_routes(repo: str, tag: str, layers: list[list[kit.Entry]] | None = None,
                 descriptor: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Reply]:
    """Routes serving one image (gzip layers, OCI manifest) at `/v2/REPO/manifests/TAG`; `descriptor`
    may rewrite each layer descriptor of the manifest (e.g. drop its size)."""
    built = kit.build(kit.ImageSpec(layers=layers or []))
    routes: dict[str, Reply] = {}
    descs = []
    for layer in built.layers:
        blob = kit.compress(layer.data, "gzip")
        desc = {"mediaType": kit.LAYER_TYPES["gzip"], "digest": kit.sha256(blob), "size": len(blob)}
        descs.append(descriptor(desc) if descriptor else desc)
        routes[f"/v2/{repo}/blobs/{desc['digest']}"] = (200, {}, blob)
    routes[f"/v2/{repo}/blobs/{built.config_digest}"] = (200, {}, built.config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": kit.OCI_MANIFEST,
                           "config": {"mediaType": kit.OCI_CONFIG, "digest": built.config_digest,
                                      "size": len(built.config)},
                           "layers": descs}).encode()
    served = (200, {"Content-Type": kit.OCI_MANIFEST}, manifest)
    routes[f"/v2/{repo}/manifests/{tag}"] = served
    routes[f"/v2/{repo}/manifests/{kit.sha256(manifest)}"] = served
    return routes
