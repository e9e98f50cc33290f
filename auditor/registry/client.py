"""The HTTP conversation with one registry repository: manifests, blobs, and the auth challenge.

Every response is streamed, and no body is read whole before it is measured: manifests, configs and
token answers are read into memory under a cap counted as they arrive (and the documents checked
against their digests), a refusal's body only for its first bytes, and layer blobs are handed on as a
stream, refused past their declared size (the layer reader checks their digest as it reads them).
Every wait, timeout and read is bounded by the audit's `Deadline`, and a watchdog ends a read that a
dripping server keeps alive past it.

A login answers a challenge only from the registry's own origin (never from a host a redirect led to),
and goes over plain HTTP only to loopback or with --insecure-registry.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import warnings
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
import urllib3

from auditor import jsondoc
from auditor.deadline import NO_DEADLINE, Deadline
from auditor.errors import DeadlineExceeded, DigestError, SourceError
from auditor.limits import DEFAULT_MAX_JSON_BYTES
from auditor.registry import challenge as challenges
from auditor.registry import credentials as logins
from auditor.registry import tls
from auditor.registry.reference import RegistryRef
from auditor.registry.settings import RegistryOptions
from auditor.registry.watchdog import Watchdog, WatchedAdapter

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_DOCUMENT_BYTES = DEFAULT_MAX_JSON_BYTES  # manifests and configs: the cap every source puts on JSON
MAX_TOKEN_BYTES = 1024 * 1024
MAX_ERROR_BYTES = 64 * 1024  # of a refusal's body, read for its error codes
CHUNK = 1 << 16
MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
           "application/vnd.docker.distribution.manifest.v1+prettyjws")
STATUS_WORDS = {401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 Not Found"}
USER_AGENT = "layer-auditor"


class BlobStream(io.RawIOBase):
    """A blob's body as it arrives; network failures become SourceError, more bytes than the
    descriptor's size are refused, and the deadline is checked before every read."""

    def __init__(self, response: requests.Response, what: str, size: int | None, deadline: Deadline) -> None:
        self._response = response
        self._raw = response.raw
        self._raw.decode_content = True  # Content-Encoding is transport; the blob is what it wraps
        self._what = what
        self._left = size
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        self._deadline.check()
        with memoryview(buffer) as view:
            try:
                data = self._raw.read(len(view))
            except Exception as exc:  # noqa: BLE001 - urllib3 and socket errors alike end the stream
                self._deadline.check()  # the watchdog ended it
                raise SourceError(f"{self._what}: download failed ({_reason(exc)})") from None
            n = len(data)
            if not n:
                self._deadline.check()  # an end the watchdog caused is no end
            if self._left is not None:
                self._left -= n
                if self._left < 0:
                    raise SourceError(f"{self._what}: the registry sent more bytes than the manifest's size")
            view[:n] = data
        return n

    def close(self) -> None:
        self._response.close()
        super().close()


class RegistryClient:
    """Reads one repository of one registry, within `deadline` (the whole audit's)."""

    def __init__(self, ref: RegistryRef, options: RegistryOptions,
                 sleep: Callable[[float], None] = time.sleep, max_json_bytes: int = MAX_DOCUMENT_BYTES,
                 deadline: Deadline = NO_DEADLINE) -> None:
        self.ref = ref
        self.options = options
        self.max_json_bytes = max_json_bytes  # --max-json-size: a manifest, index or config
        self.deadline = deadline
        self._sleep = sleep
        self._plain_ok = options.insecure or tls.is_loopback(ref.host)
        self._scheme = "https"
        self._authorization: str | None = None
        self._credentials: logins.Credentials | None = None
        self._looked_up = False
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.verify = not options.insecure  # requests would otherwise re-require verification
        if options.insecure:
            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
        self._watchdog = Watchdog(deadline.remaining())
        adapter = WatchedAdapter(tls.context(options.ca_certs, verify=not options.insecure), self._watchdog)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        self._watchdog.stop()
        self.session.close()

    # --- the API -----------------------------------------------------------------------------------

    def manifest(self, version: str) -> tuple[str | None, Any, str]:
        """GET a manifest or index by tag or digest: (media type, parsed JSON, its digest)."""
        what = f"{self.ref.registry}/{self.ref.repository}:{version}" if ":" not in version \
            else f"{self.ref.registry}/{self.ref.repository}@{version}"
        response = self._get(f"manifests/{version}", what, {"Accept": MANIFEST_ACCEPT})
        body = self._read_capped(response, what, self.max_json_bytes)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        claimed = version if version.startswith("sha256:") else response.headers.get("Docker-Content-Digest")
        if claimed and claimed.startswith("sha256:") and claimed != digest:
            raise DigestError(f"manifest {claimed} of {what}: digest mismatch (got {digest})")
        media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        if media_type in SCHEMA1:
            raise SourceError(f"{what}: a Docker schema 1 manifest; only schema 2 and OCI images are supported")
        known = media_type if media_type in MANIFEST_ACCEPT.split(", ") else None  # not "application/json"
        return known, _parse(body, f"manifest {digest}"), digest

    def blob_json(self, digest: str) -> Any:
        """GET a small JSON blob (an image config), checked against its digest."""
        what = _checkable(digest)
        body = self._read_capped(self._get(f"blobs/{digest}", what, {}), what, self.max_json_bytes)
        actual = "sha256:" + hashlib.sha256(body).hexdigest()
        if actual != digest:
            raise DigestError(f"{what} of {self.ref}: digest mismatch (got {actual})")
        return _parse(body, what)

    def blob(self, digest: str, size: int | None = None) -> IO[bytes]:
        """GET a blob as a stream (the reader checks its digest)."""
        what = _checkable(digest)
        response = self._get(f"blobs/{digest}", what, {"Accept-Encoding": "identity"})
        return io.BufferedReader(BlobStream(response, what, size, self.deadline))

    def api_json(self, path: str, what: str) -> tuple[Any, str | None]:
        """GET a JSON document of the registry API outside the repository (`/v2/_catalog?n=100`, or a
        repository's `tags/list`): the parsed document and the path of the next page its `Link` header
        names (same origin only), if any."""
        response = self._request(path, what, {"Accept": "application/json"})
        following = _next_page(response.headers.get("Link", ""), self.ref.host)
        return _parse(self._read_capped(response, what, self.max_json_bytes), what), following

    def exists(self, digest: str) -> bool:
        """HEAD a blob."""
        try:
            self._get(f"blobs/{digest}", f"blob {digest}", {}, method="HEAD").close()
        except SourceError:
            return False
        return True

    # --- auth --------------------------------------------------------------------------------------

    def _get(self, path: str, what: str, headers: dict[str, str], method: str = "GET") -> requests.Response:
        """Send a request (the response streamed, its body not yet read), answering one auth challenge."""
        return self._request(f"/v2/{self.ref.repository}/{path}", what, headers, method)

    def _request(self, url_path: str, what: str, headers: dict[str, str], method: str = "GET") -> requests.Response:
        response = self._send(method, url_path, headers)
        if response.status_code == 401 and self._is_own(response.url):
            authorization = self._answer(response.headers.get("WWW-Authenticate", ""))
            if authorization is not None and authorization != self._authorization:
                response.close()
                self._authorization = authorization
                response = self._send(method, url_path, headers)
        if response.status_code == 200:
            return response
        message = self._refusal(response, what)
        response.close()
        raise SourceError(message)

    def _is_own(self, url: str) -> bool:
        """Whether `url` (a response's, after any redirects) is on the registry's own origin: only the
        registry's own challenge is answered, never one from a host a redirect (a CDN) led to, which
        would choose where the login goes."""
        own = _origin(f"{self._scheme}://{self.ref.host}/")
        return own is not None and _origin(url) == own

    def _refusal(self, response: requests.Response, what: str) -> str:
        status = response.status_code
        word = STATUS_WORDS.get(status, f"HTTP {status}")
        if status == 401 and not self._is_own(response.url):
            elsewhere = _host(response.url)
            return (f"{what}: {self.ref.registry} redirected to {elsewhere}, which demands authentication "
                    f"({word}); a login is only ever sent to the registry itself")
        if status == 401:
            if self._credentials is None:
                return (f"{what}: {self.ref.registry} requires authentication ({word}); log in with "
                        "`docker login`, or pass --username and --password-stdin (with --registry-login "
                        f"{self.ref.registry} unless it is the first image's registry)")
            return f"{what}: {self.ref.registry} rejected the credentials from {self._credentials.source} ({word})"
        if status == 403:
            return f"{what}: access denied by {self.ref.registry} ({word})"
        if status == 404:
            codes = _error_codes(response, self.deadline)
            detail = f": {', '.join(codes)}" if codes else ""
            return f"{what}: not found in the registry ({word}{detail})"
        return f"{what}: {self.ref.registry} answered {word}"

    def _login(self) -> logins.Credentials | None:
        if not self._looked_up:
            self._credentials = logins.resolve(self.ref.auth_key, self.options.credentials)
            self._looked_up = True
        return self._credentials

    def _answer(self, header: str) -> str | None:
        """The Authorization header that answers a challenge, or None when we have nothing new to offer."""
        chosen = challenges.pick(challenges.parse(header))
        if chosen is None:
            return None
        login = self._login()
        if chosen.scheme == "basic":
            if login is None or login.basic is None:
                return None
            self._require_private_channel(self._scheme, tls.host_of(self.ref.host))
            user, password = login.basic
            return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return "Bearer " + self._token(chosen, login)  # a fresh one: the last may have expired

    def _token(self, chosen: challenges.Challenge, login: logins.Credentials | None) -> str:
        parsed = challenges.realm_url(chosen.params.get("realm", ""), self.ref.registry)
        if login is not None:
            self._require_private_channel(parsed.scheme, parsed.hostname or "")
        params = {"service": chosen.params.get("service", ""),
                  "scope": chosen.params.get("scope") or f"repository:{self.ref.repository}:pull"}
        params = {k: v for k, v in params.items() if v}
        what = f"token service {parsed.scheme}://{parsed.netloc}{parsed.path}"
        realm = urlunsplit(parsed._replace(fragment=""))
        if login is not None and login.identity_token:
            form = {**params, "grant_type": "refresh_token", "refresh_token": login.identity_token,
                    "client_id": USER_AGENT}
            response = self._retrying(lambda: self.session.post(  # a redirect would carry the form elsewhere
                realm, data=form, timeout=self._timeout(), stream=True, allow_redirects=False), what)
        else:
            auth = login.basic if login is not None else None
            url = urlunsplit(parsed._replace(query="&".join(filter(None, [parsed.query, urlencode(params)])),
                                             fragment=""))
            response = self._retrying(lambda: self.session.get(url, auth=auth, timeout=self._timeout(),
                                                               stream=True), what)
        if response.status_code != 200:
            response.close()
            word = STATUS_WORDS.get(response.status_code, f"HTTP {response.status_code}")
            who = f"the credentials from {login.source}" if login is not None else "anonymous access"
            raise SourceError(f"{what} refused {who} for {self.ref.repository} ({word})")
        document = _parse(self._read_capped(response, what, MAX_TOKEN_BYTES), what)
        token = document.get("token") or document.get("access_token") if isinstance(document, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceError(f"{what}: the answer holds no token")
        return token

    def _require_private_channel(self, scheme: str, host: str) -> None:
        """SourceError unless credentials for `host` (a bare host name or address, as the standard URL
        parser reads it: no port, no userinfo) may go over `scheme`."""
        if scheme != "https" and not (self.options.insecure or tls.is_loopback(host)):
            raise SourceError(f"refusing to send credentials over plain HTTP to {host}; "
                              "use HTTPS (or --insecure-registry)")

    # --- transport ---------------------------------------------------------------------------------

    def _timeout(self) -> float:
        """--timeout, cut to what is left of the deadline."""
        return self.deadline.bound(self.options.timeout)

    def _read_capped(self, response: requests.Response, what: str, limit: int) -> bytes:
        """A streamed body, read up to `limit` bytes (SourceError past it) within the deadline."""
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_content(CHUNK):
                self.deadline.check()
                total += len(chunk)
                if total > limit:
                    raise SourceError(f"{what}: larger than {limit} bytes; refused")
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            self.deadline.check()  # the watchdog ended it
            raise SourceError(f"{what}: download failed ({_reason(exc)})") from None
        finally:
            response.close()
        self.deadline.check()  # a body the watchdog cut short may look complete
        return b"".join(chunks)

    def _send(self, method: str, path: str, headers: dict[str, str]) -> requests.Response:
        all_headers = dict(headers)
        if self._authorization:
            all_headers["Authorization"] = self._authorization

        def once() -> requests.Response:
            url = f"{self._scheme}://{self.ref.host}{path}"
            return self.session.request(method, url, headers=all_headers, stream=True,
                                        timeout=self._timeout(), allow_redirects=True)

        return self._retrying(once, f"{self.ref.registry}", may_downgrade=True)

    def _retrying(self, send: Callable[[], requests.Response], what: str,
                  may_downgrade: bool = False) -> requests.Response:
        """Send, retrying transient failures within the deadline; `may_downgrade`: a registry request (not
        a token service's) that may switch this registry to plain HTTP when its HTTPS fails and plain
        HTTP is allowed. Once the deadline has passed, DeadlineExceeded, whatever the failure."""
        policy = self.options.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._attempt(send)
            except requests.exceptions.SSLError as exc:
                if may_downgrade and self._plain_ok and self._scheme == "https" and not _is_verify_error(exc):
                    self._scheme = "http"  # a plain-HTTP registry that we may use: loopback or --insecure-registry
                    attempt -= 1
                    continue
                raise SourceError(f"{what}: TLS failed ({_reason(exc)}); trust its CA with --ca-cert FILE"
                                  + ("" if _is_verify_error(exc) else " or, if it serves plain HTTP, "
                                     "--insecure-registry")) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                if attempt >= policy.attempts:
                    raise SourceError(f"{what}: {_reason(exc)} (after {attempt} attempts)") from None
                self._wait(policy.delay(attempt))
                continue
            except requests.exceptions.RequestException as exc:
                raise SourceError(f"{what}: request failed ({_reason(exc)})") from None
            if policy.retryable(response.status_code) and attempt < policy.attempts:
                retry_after = response.headers.get("Retry-After")
                response.close()
                self._wait(policy.delay(attempt, retry_after))
                continue
            return response

    def _attempt(self, send: Callable[[], requests.Response]) -> requests.Response:
        """One try; DeadlineExceeded before it when the deadline has passed, and after it when the
        deadline passed meanwhile: the watchdog shut its socket, so the request failed or its headers
        were cut short (which http.client takes for their end)."""
        self.deadline.check()
        try:
            response = send()
        except requests.exceptions.RequestException:
            self.deadline.check()
            raise
        if self.deadline.passed():
            response.close()
            raise DeadlineExceeded(self.deadline.seconds)
        return response

    def _wait(self, seconds: float) -> None:
        """Sleep before a retry, never past the deadline (and never at all when it would be reached)."""
        if seconds >= self.deadline.remaining():
            raise DeadlineExceeded(self.deadline.seconds)
        self._sleep(seconds)


def _next_page(link: str, host: str) -> str | None:
    """The path and query of a `Link: </v2/...>; rel="next"` header (RFC 8288, as the distribution API
    paginates), or None; a link to another host than `host` or outside /v2/ is not followed."""
    for part in link.split(","):
        target, _, params = part.strip().partition(";")
        if 'rel="next"' not in params.replace(" ", "") and "rel=next" not in params.replace(" ", ""):
            continue
        parts = urlsplit(target.strip().strip("<>"))
        if (parts.netloc and parts.netloc != host) or not parts.path.startswith("/v2/"):
            return None
        return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return None


def _checkable(digest: str) -> str:
    """"blob DIGEST" for messages; SourceError for a digest we could not check (only sha256 is)."""
    if not digest.startswith("sha256:") or len(digest) != 71:
        raise SourceError(f"blob {digest!r}: unsupported digest (only sha256 is verified)")
    return f"blob {digest}"


def _is_verify_error(exc: BaseException) -> bool:
    text = repr(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text \
        or "doesn't match" in text or "Hostname mismatch" in text


def _reason(exc: BaseException) -> str:
    """A short cause without URLs or headers: the innermost error's name and message."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout,)):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timed out"
    if _is_verify_error(exc):
        return "certificate verify failed"
    text = repr(exc)
    for marker in ("Connection refused", "Connection reset", "Name or service not known",
                   "Temporary failure in name resolution", "No route to host", "timed out",
                   "WRONG_VERSION_NUMBER", "record layer failure", "Remote end closed connection",
                   "IncompleteRead", "Connection aborted"):
        if marker.lower() in text.lower():
            return marker.lower()
    return type(exc).__name__


def _parse(body: bytes, what: str) -> Any:
    return jsondoc.parse(body, what)


def _error_codes(response: requests.Response, deadline: Deadline) -> list[str]:
    """The distribution API's error codes in a refusal (e.g. MANIFEST_UNKNOWN, NAME_UNKNOWN), from at
    most its first MAX_ERROR_BYTES: the body is never read whole."""
    deadline.check()
    try:
        body = response.raw.read(MAX_ERROR_BYTES, decode_content=True) or b""
        document = json.loads(body)
        return [str(e.get("code")) for e in document.get("errors", []) if isinstance(e, dict) and e.get("code")][:3]
    except Exception:  # noqa: BLE001 - a body we cannot read just has no codes
        return []


def _origin(url: str) -> tuple[str, str | None, int | None] | None:
    """(scheme, host, port) of a URL, the default port filled in; None when it does not parse."""
    try:
        parts = urlsplit(url)
        return parts.scheme, parts.hostname, parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return None


def _host(url: str) -> str:
    """The host[:port] a URL names, for a message (never its path or query, which may hold a signed token)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "another host"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "another host"
