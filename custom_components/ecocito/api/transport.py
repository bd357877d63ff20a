"""HTTP with one Ecocito portal, and nothing of what its pages mean.

Redirects are followed here, never by aiohttp, and only within the portal's own origin
(scheme, host and port): the credentials of a login and the session cookie never go to
another site, nor from https to plain http. Answers are capped in size, large ones are
parsed off the event loop, a 429 backs off for its Retry-After, DevExtreme pages are
read within a bound, and the last answer is kept so that one not understood can be
fingerprinted (its structure, never its values).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
import json
import logging
import math
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from . import portal
from .errors import ClientClosedError, PortalChangedError, PortalConnectionError, RateLimitedError
from .fingerprint import answer_fingerprint
from .html import Element, parse_html

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
"""Seconds allowed for one request."""
DEFAULT_RETRY_AFTER = 60.0
"""Back-off when a 429 answer carries no usable Retry-After."""
MAX_FINGERPRINTS = 5
"""Fingerprints of misunderstood answers kept in memory, newest last."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, read whole."""

    status: int
    body: str
    content_type: str
    location: str
    """The redirect's target, for a 3xx."""
    path: str
    """The path that answered, after the redirects followed."""


class NotJsonError(Exception):
    """A JSON endpoint answered something that does not parse as JSON."""

    def __init__(self, answer: Answer) -> None:
        """Keep the answer: the client tells a login page or a message from a change."""
        super().__init__(answer.content_type)
        self.answer = answer


def _origin(url: URL) -> tuple[str, str, int | None]:
    """Return what makes two addresses the same site: scheme, host and port."""
    return (url.scheme.lower(), (url.host or "").lower(), url.port)


async def off_loop_if_large[T](parse: Callable[[str], T], text: str) -> T:
    """Parse ``text``, in a worker thread when it is large enough to block the loop."""
    if len(text) > portal.OFF_LOOP_BYTES:
        return await asyncio.to_thread(parse, text)
    return parse(text)


async def parse_page(answer: Answer) -> Element:
    """Parse an HTML answer (off the event loop when it is large).

    The tree never recurses, so no nesting depth can raise ``RecursionError``.
    """
    return await off_loop_if_large(parse_html, answer.body)


class Transport:
    """Requests to one portal through one session (cookie jar)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: URL,
        *,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Talk to the portal at ``base`` through ``session``."""
        self._session = session
        self.base = base
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._blocked_until = 0.0
        self.closed = False
        """Once set, only the logout goes out: the entry is unloading."""
        self.last: tuple[str, str, Answer] | None = None
        """The latest answer (method, path, answer): what a failed parse fingerprints."""
        self._fingerprints: deque[dict[str, Any]] = deque(maxlen=MAX_FINGERPRINTS)

    @property
    def fingerprints(self) -> list[dict[str, Any]]:
        """Return the structure of the last answers not understood, oldest first."""
        return list(self._fingerprints)

    async def fingerprint(self, err: PortalChangedError) -> None:
        """Keep (and log) the fingerprint of the answer behind ``err``."""
        if err.fingerprint is not None or self.last is None:
            return
        method, path, answer = self.last
        err.fingerprint = await off_loop_if_large(
            lambda body: answer_fingerprint(
                method=method,
                path=path,
                status=answer.status,
                content_type=answer.content_type,
                body=body,
                problem=err.what,
            ),
            answer.body,
        )
        self._fingerprints.append(err.fingerprint)
        _LOGGER.debug("Unexpected answer to %s %s: %s", method, path, json.dumps(err.fingerprint))

    async def get_json(self, path: str, query: Mapping[str, str]) -> Any:
        """Return a JSON answer, whatever its content type says, if it parses.

        Raises NotJsonError with the answer when it does not: a page, or garbage.
        """
        answer = await self.request("GET", path, params=query)
        looks_like_json = answer.body.lstrip()[:1] in ("{", "[")
        if "json" not in answer.content_type and not looks_like_json:
            raise NotJsonError(answer)
        try:
            return await off_loop_if_large(json.loads, answer.body)
        except ValueError:
            if "json" not in answer.content_type:
                raise NotJsonError(answer) from None
            raise PortalChangedError(f"{path} answered malformed JSON") from None
        except RecursionError:
            raise PortalChangedError(f"{path} answered JSON nested too deeply") from None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
    ) -> Answer:
        """Send one request; map network errors, 5xx and 429 to library errors.

        A 5xx carries the answer, so that the client can tell what the portal said.
        """
        if self.closed and path != portal.PATH_LOGOUT:
            raise ClientClosedError
        if (wait := self._blocked_until - time.monotonic()) > 0:
            raise RateLimitedError(wait)
        url = self.base.with_path(path)
        if params:
            url = url.with_query(params)
        for _hop in range(portal.MAX_REDIRECTS + 1):
            answer, retry_after = await self._send(method, url, path, data)
            _LOGGER.debug("%s %s -> %s", method, url.path, answer.status)
            self.last = (method, path, answer)
            if not (follow_redirects and answer.status in _REDIRECTS and answer.location):
                break
            try:
                target = url.join(URL(answer.location))
            except ValueError:
                raise PortalChangedError(f"{method} {path} redirected to a bad address") from None
            if _origin(target) != _origin(self.base):
                raise PortalChangedError(f"{method} {path} redirected away from the portal")
            if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                method, data = "GET", None  # what browsers do; 307 and 308 keep the form
            url = target
        else:
            raise PortalChangedError(f"{method} {path}: over {portal.MAX_REDIRECTS} redirects")
        if answer.status == 429:
            delay = retry_after_seconds(retry_after)
            self._blocked_until = time.monotonic() + delay
            raise RateLimitedError(delay)
        if answer.status >= 500:
            raise ServerError(f"{method} {path}: HTTP {answer.status}", answer)
        if answer.status >= 400:
            raise PortalChangedError(f"{method} {path} answered HTTP {answer.status}")
        return answer

    async def _send(
        self, method: str, url: URL, path: str, data: Mapping[str, str] | None
    ) -> tuple[Answer, str | None]:
        """Send one HTTP request, without following redirects; return its Retry-After."""
        try:
            async with self._session.request(
                method, url, data=data, allow_redirects=False, timeout=self._timeout
            ) as response:
                answer = Answer(
                    status=response.status,
                    body=await _read_body(response, f"{method} {path}"),
                    content_type=response.content_type,
                    location=response.headers.get("Location", "")
                    if 300 <= response.status < 400
                    else "",
                    path=url.path,
                )
                return answer, response.headers.get("Retry-After")
        except TimeoutError as err:
            raise PortalConnectionError(
                f"{method} {path}: no answer in {self._timeout.total:.0f} s"
            ) from err
        except aiohttp.ClientError as err:
            raise PortalConnectionError(f"{method} {path}: {type(err).__name__}") from err


class ServerError(PortalConnectionError):
    """The portal answered 5xx; ``answer`` is its page, which may say why."""

    def __init__(self, message: str, answer: Answer) -> None:
        """Keep the page."""
        super().__init__(message)
        self.answer = answer


async def _read_body(response: aiohttp.ClientResponse, what: str) -> str:
    """Read and decode an answer, refusing one larger than ``MAX_BODY_BYTES``."""
    limit = portal.MAX_BODY_BYTES
    too_large = PortalChangedError(f"{what} answered more than {limit // 2**20} MB")
    if response.content_length is not None and response.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        return raw.decode(response.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def retry_after_seconds(value: str | None) -> float:
    """Read a Retry-After header: seconds or an HTTP date, at most ``MAX_RETRY_AFTER``."""
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        delay = float(value)
    except ValueError:
        try:
            delay = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError, IndexError):
            return DEFAULT_RETRY_AFTER
    if math.isnan(delay):
        return DEFAULT_RETRY_AFTER
    return min(max(delay, 0.0), portal.MAX_RETRY_AFTER)
