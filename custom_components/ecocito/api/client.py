"""The asyncio client of the Ecocito portal."""

from __future__ import annotations

import asyncio
from collections import deque
import contextlib
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
import functools
from functools import partial
import json
import logging
import math
import re
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from . import portal
from .errors import (
    AuthenticationError,
    ClientClosedError,
    InvalidKeyError,
    InvalidPortalError,
    KeyAlreadyUsedError,
    KeyOtherCommuneError,
    LinkError,
    PortalChangedError,
    PortalConnectionError,
    PortalUserInfoError,
    RateLimitedError,
    SessionRefusedError,
    UnknownAccountError,
    UnknownCommuneError,
)
from .fingerprint import answer_fingerprint
from .forms import (
    PageForm,
    account_switch_form,
    commune_form,
    commune_search,
    default_switch_form,
    key_form,
)
from .html import Element, parse_html
from .models import (
    Account,
    AccountData,
    AccountList,
    Commune,
    MonthlyCount,
    Pickup,
    Visit,
    WasteType,
)
from .parsing import (
    casefold_without_accents,
    error_messages,
    find_account_select,
    has_success_alert,
    is_login_page,
    parse_accounts,
    parse_communes,
    parse_monthly_counts,
    parse_pickup,
    parse_rows,
    parse_visit,
    parse_waste_types,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping
    from typing import Concatenate

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
"""Seconds allowed for one request."""
DEFAULT_PAGE_SIZE = 100
"""Rows asked for per DevExtreme page (a year of weekly pickups fits in one)."""
DEFAULT_RETRY_AFTER = 60.0
"""Back-off when a 429 answer carries no usable Retry-After."""
MAX_FINGERPRINTS = 5
"""Fingerprints of misunderstood answers kept in memory, newest last."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def _excerpt(text: str, limit: int = 60) -> str:
    """Return ``text`` quoted, cut to ``limit`` characters: errors never echo a whole field."""
    return repr(text if len(text) <= limit else f"{text[:limit]}…")


def normalize_portal(value: str) -> str:
    """Return the base URL of a portal given as subdomain, host or URL.

    ``https://`` is required unless the host is loopback (the simulator, the demo). An
    address with a user name or password in it is refused without being echoed.
    """
    text = value.strip()
    if "@" in text:
        raise PortalUserInfoError("The portal address must not hold a user name or password")
    if _SUBDOMAIN.match(text.lower()) and text.lower() not in portal.LOOPBACK_HOSTS:
        text = f"https://{text.lower()}.{portal.PORTAL_DOMAIN}"
    try:
        if "://" not in text:
            loopback = URL(f"//{text}").host in portal.LOOPBACK_HOSTS
            text = f"{'http' if loopback else 'https'}://{text}"
        url = URL(text)
        host = (url.host or "").lower()
        port = url.explicit_port
    except ValueError:
        raise InvalidPortalError(f"Not a valid address: {_excerpt(value)}") from None
    if url.scheme not in ("http", "https") or not (
        host in portal.LOOPBACK_HOSTS or _HOSTNAME.match(host)
    ):
        raise InvalidPortalError(f"Not a valid portal address: {_excerpt(value)}")
    if url.scheme == "http" and host not in portal.LOOPBACK_HOSTS:
        raise InvalidPortalError(f"The portal must be reached over https: {_excerpt(value)}")
    return str(URL.build(scheme=url.scheme, host=host, port=port))


class _SessionExpiredError(Exception):
    """The portal answered with its login page: the session is gone."""


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: str
    content_type: str
    location: str


def _origin(url: URL) -> tuple[str, str, int | None]:
    """Return what makes two addresses the same site: scheme, host and port."""
    return (url.scheme.lower(), (url.host or "").lower(), url.port)


async def _off_loop_if_large[T](parse: Callable[[str], T], text: str) -> T:
    """Parse ``text``, in a worker thread when it is large enough to block the loop."""
    if len(text) > portal.OFF_LOOP_BYTES:
        return await asyncio.to_thread(parse, text)
    return parse(text)


def _fingerprinted[**P, T](
    call: Callable[Concatenate[EcocitoClient, P], Awaitable[T]],
) -> Callable[Concatenate[EcocitoClient, P], Awaitable[T]]:
    """Keep the fingerprint of the answer that a public call failed to understand."""

    @functools.wraps(call)
    async def run(self: EcocitoClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await call(self, *args, **kwargs)
        except PortalChangedError as err:
            await self._fingerprint(err)
            raise

    return run


class EcocitoClient:
    """A session with one Ecocito portal for one login.

    The portal keeps the active account in the session, so every call that reads an
    account's data switches to it first; a lock makes "switch then fetch" atomic.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        portal_address: str,
        username: str,
        password: str,
        *,
        request_timeout: float = DEFAULT_TIMEOUT,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        """Prepare a client; ``session`` should have a cookie jar of its own."""
        self._session = session
        self._base = URL(normalize_portal(portal_address))
        self._username = username
        self._password = password
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._page_size = page_size
        self._lock = asyncio.Lock()
        self._logged_in = False
        self._closed = False
        self._blocked_until = 0.0
        self._last: tuple[str, str, _Answer] | None = None
        """The latest answer (method, path, answer): what a failed parse fingerprints."""
        self._fingerprints: deque[dict[str, Any]] = deque(maxlen=MAX_FINGERPRINTS)
        self._switch_form: PageForm | None = None
        """The latest page's form holding the account drop-down."""
        self._search: tuple[str, dict[str, str]] | None = None
        """The commune search's path and query, as the wizard's page gives it."""

    @property
    def base_url(self) -> str:
        """Return the portal's normalised base URL."""
        return str(self._base)

    @property
    def portal_name(self) -> str:
        """Return the portal's short name: its subdomain of ecocito.com, else its host."""
        host = self._base.host or ""
        subdomain = host.removesuffix(f".{portal.PORTAL_DOMAIN}")
        return subdomain if subdomain != host else self.portal_id

    @property
    def portal_id(self) -> str:
        """Return the portal's host (with its port, if any): a stable identity."""
        return self._base.raw_authority.lower()

    @property
    def portal_fingerprints(self) -> list[dict[str, Any]]:
        """Return the structure of the last answers the client failed to understand.

        Names, types and counts only (see ``fingerprint.py``): safe to show a maintainer.
        """
        return list(self._fingerprints)

    # --- Session ------------------------------------------------------------

    @_fingerprinted
    async def login(self) -> AccountList:
        """Log in and return the linked accounts."""
        async with self._lock:
            return await self._login()

    async def logout(self) -> None:
        """End the portal session and close the client for good.

        A call in progress stops at its next request; every later call raises
        :class:`ClientClosedError` instead of logging in again.
        """
        self._closed = True
        async with self._lock:
            if self._logged_in:
                self._logged_in = False
                await self._request("GET", portal.PATH_LOGOUT, follow_redirects=False)

    @_fingerprinted
    async def get_accounts(self) -> AccountList:
        """Return the linked accounts (the account drop-down)."""
        async with self._lock:
            if not self._logged_in:
                return await self._login()
            page = await self._with_session(lambda: self._get_page(portal.PATH_HOME))
            return parse_accounts(page)

    # --- Account data -------------------------------------------------------

    @_fingerprinted
    async def get_account_data(
        self, account_id: int, start: date, end: date, *, borne_years: Iterable[int] = ()
    ) -> AccountData:
        """Return an account's waste types, pickups and visits between two dates.

        With ``borne_years``, also its borne openings of those years per waste type,
        in the same account switch: per year one request for all types together (-1),
        and one more per waste type only when that year counts an opening.
        """
        async with self._lock:
            account, page = await self._switch(account_id)
            waste_types = parse_waste_types(page)
            pickups: list[Pickup] = []
            for waste_type in waste_types:
                pickups.extend(await self._pickups(account_id, waste_type.id, start, end))
            visits = await self._visits(account_id, start, end)
            bornes = await self._bornes(account_id, [t.id for t in waste_types], borne_years)
        return AccountData(
            account=account,
            waste_types=waste_types,
            pickups=tuple(sorted(pickups, key=lambda pickup: pickup.date)),
            visits=visits,
            borne_drop_offs=bornes,
        )

    @_fingerprinted
    async def get_waste_types(self, account_id: int) -> tuple[WasteType, ...]:
        """Return an account's waste streams."""
        async with self._lock:
            _account, page = await self._switch(account_id)
            return parse_waste_types(page)

    @_fingerprinted
    async def get_pickups(
        self, account_id: int, waste_type_id: int, start: date, end: date
    ) -> tuple[Pickup, ...]:
        """Return an account's pickups of one waste type between two dates."""
        async with self._lock:
            await self._switch(account_id)
            return await self._pickups(account_id, waste_type_id, start, end)

    @_fingerprinted
    async def get_pickups_of_types(
        self, account_id: int, waste_type_ids: Iterable[int], start: date, end: date
    ) -> dict[int, tuple[Pickup, ...]]:
        """Return an account's pickups of some waste types, switching to it once."""
        async with self._lock:
            await self._switch(account_id)
            return {
                waste_type_id: await self._pickups(account_id, waste_type_id, start, end)
                for waste_type_id in waste_type_ids
            }

    @_fingerprinted
    async def get_visits(self, account_id: int, start: date, end: date) -> tuple[Visit, ...]:
        """Return an account's recycling-centre visits between two dates."""
        async with self._lock:
            await self._switch(account_id)
            return await self._visits(account_id, start, end)

    @_fingerprinted
    async def get_borne_drop_offs(
        self, account_id: int, waste_type_id: int, year: int
    ) -> tuple[MonthlyCount, ...]:
        """Return an account's borne openings of one waste type, per month of ``year``.

        Twelve counts, January first (0 for a month without any, and for every month
        of an account without a borne). Costs one request, plus the account switch.
        """
        async with self._lock:
            await self._switch(account_id)
            return await self._borne_drop_offs(account_id, waste_type_id, year)

    @_fingerprinted
    async def get_borne_drop_offs_of_types(
        self, account_id: int, waste_type_ids: Iterable[int], year: int
    ) -> dict[int, tuple[MonthlyCount, ...]]:
        """Return an account's borne openings of some waste types, switching to it once.

        One request per waste type, plus the account switch (see
        :meth:`get_borne_drop_offs`).
        """
        async with self._lock:
            await self._switch(account_id)
            return {
                waste_type_id: await self._borne_drop_offs(account_id, waste_type_id, year)
                for waste_type_id in waste_type_ids
            }

    # --- Association wizard -------------------------------------------------

    @_fingerprinted
    async def search_communes(self, term: str) -> tuple[Commune, ...]:
        """Return the communes matching a postal-code prefix or a name."""
        term = " ".join(term.split())
        if not portal.SEARCH_MIN_LENGTH <= len(term) <= portal.SEARCH_MAX_LENGTH:
            return ()
        async with self._lock:
            payload = await self._with_session(partial(self._search_communes, term))
        return parse_communes(payload)

    async def _search_communes(self, term: str) -> Any:
        if self._search is None:  # the wizard's page says where its autocomplete looks
            start = await self._get_page(portal.PATH_LINK_START)
            self._search = commune_search(start, portal.PATH_LINK_START, self.base_url)
            _LOGGER.debug("Commune search: %s", self._search[0])
        path, query = self._search
        try:
            return await self._get_json(path, {**query, portal.QUERY_TERM: term})
        except PortalChangedError:
            self._search = None  # read the wizard's page again next time
            raise

    @_fingerprinted
    async def link_account(self, commune_id: int, activation_key: str) -> Account:
        """Link another production point with its commune and activation key.

        Returns the newly linked account. Raises a :class:`LinkError` subclass carrying
        the portal's message when the portal refuses the commune or the key.
        """
        async with self._lock:
            return await self._with_session(lambda: self._link(commune_id, activation_key.strip()))

    async def _link(self, commune_id: int, activation_key: str) -> Account:
        start = await self._get_page(portal.PATH_LINK_START)
        self._search = commune_search(start, portal.PATH_LINK_START, self.base_url)
        before = {account.id for account in parse_accounts(start).accounts}
        step = commune_form(start, portal.PATH_LINK_START, self.base_url)
        _LOGGER.debug("Wizard's commune step: %s", step.shape)
        key_step = await self._check_page(await self._submit(step, str(commune_id)))
        if messages := error_messages(key_step):
            raise UnknownCommuneError(" ".join(messages))
        step = key_form(key_step, step.path, self.base_url)
        _LOGGER.debug("Wizard's key step: %s", step.shape)
        done = await self._check_page(await self._submit(step, activation_key))
        if messages := error_messages(done):
            raise _key_error(" ".join(messages))
        if not has_success_alert(done):
            raise PortalChangedError("the activation key step ended without a confirmation")
        accounts = parse_accounts(done)
        new = [account for account in accounts.accounts if account.id not in before]
        if len(new) != 1:
            raise PortalChangedError("the newly linked account is not in the account drop-down")
        return new[0]

    # --- Internals: session handling -----------------------------------------

    async def _with_session[T](
        self, fetch: Callable[[], Awaitable[T]], account_id: int | None = None
    ) -> T:
        """Run ``fetch`` in a live session on ``account_id`` (if given).

        When the portal answers with its login page, log in (and switch) again once
        and retry once; a second login page is an authentication error.
        """
        for _attempt in range(2):
            try:
                if not self._logged_in:
                    await self._login()
                    if account_id is not None:
                        await self._post_switch(account_id)
                return await fetch()
            except _SessionExpiredError:
                _LOGGER.debug("The portal session has expired")
                self._logged_in = False
        raise SessionRefusedError("The portal ended the session right after logging in")

    async def _login(self) -> AccountList:
        self._logged_in = False
        answer = await self._request(
            "POST",
            portal.PATH_LOGIN,
            data={
                portal.FIELD_LOGIN: self._username,
                portal.FIELD_PASSWORD: self._password,
                **portal.LOGIN_FIXED_FIELDS,
            },
        )
        page = await self._parse_page(answer)
        if messages := error_messages(page):
            raise AuthenticationError(" ".join(messages))
        if is_login_page(page):
            # Only the portal's message means a wrong password: this is a glitch.
            raise SessionRefusedError("The portal showed its login page again, without a message")
        self._logged_in = True
        self._remember_forms(page)
        if find_account_select(page) is None:
            page = await self._get_page(portal.PATH_HOME)
        return parse_accounts(page)

    async def _switch(self, account_id: int) -> tuple[Account, Element]:
        """Make ``account_id`` the active account; return it and its collection page."""
        return await self._with_session(partial(self._switch_and_read, account_id))

    async def _switch_and_read(self, account_id: int) -> tuple[Account, Element]:
        await self._post_switch(account_id)
        page = await self._get_page(portal.PATH_COLLECTION_PAGE)
        accounts = parse_accounts(page)
        account = next((a for a in accounts.accounts if a.id == account_id), None)
        if account is None:
            raise UnknownAccountError(account_id)
        if accounts.active_id != account_id:
            # Still linked, but the switch did not take: never read another account's data.
            raise PortalChangedError(f"the portal did not switch to account {account_id}")
        return account, page

    async def _post_switch(self, account_id: int) -> None:
        """Ask the portal to switch the active account (its redirect is not followed).

        The form holding the drop-down on the latest page says how; the modelled one
        stands in until a page has shown it.
        """
        form = self._switch_form or default_switch_form()
        answer = await self._submit(form, str(account_id), follow_redirects=False)
        if answer.location:
            if portal.PATH_LOGIN.lower() in answer.location.lower():
                raise _SessionExpiredError
        elif messages := error_messages(await self._check_page(answer)):
            raise UnknownAccountError(account_id, " ".join(messages))

    # --- Internals: data ------------------------------------------------------

    async def _pickups(
        self, account_id: int, waste_type_id: int, start: date, end: date
    ) -> tuple[Pickup, ...]:
        rows = await self._rows(portal.PATH_PICKUPS, account_id, waste_type_id, start, end)
        return tuple(parse_pickup(row, waste_type_id) for row in rows)

    async def _visits(self, account_id: int, start: date, end: date) -> tuple[Visit, ...]:
        rows = await self._rows(portal.PATH_VISITS, account_id, portal.ALL_WASTE_TYPES, start, end)
        return tuple(parse_visit(row) for row in rows)

    async def _borne_drop_offs(
        self, account_id: int, waste_type_id: int, year: int
    ) -> tuple[MonthlyCount, ...]:
        path = portal.PATH_BORNE_DROP_OFFS
        query = {
            portal.QUERY_START: date(year, 1, 1).strftime(portal.QUERY_START_FORMAT),
            portal.QUERY_END: date(year, 12, 31).strftime(portal.QUERY_END_FORMAT),
            portal.QUERY_WASTE_TYPE: str(waste_type_id),
        }
        payload = await self._with_session(partial(self._get_json, path, query), account_id)
        return parse_monthly_counts(payload, year, path)

    async def _bornes(
        self, account_id: int, waste_type_ids: list[int], years: Iterable[int]
    ) -> dict[int, tuple[MonthlyCount, ...]]:
        """Read the borne openings of some waste types and years, sparing the empty ones.

        Per year, one request for all types together; only when that counts an opening,
        one more per waste type. Empty when no year counts any opening.
        """
        counts: dict[int, list[MonthlyCount]] = {type_id: [] for type_id in waste_type_ids}
        found = False
        for year in sorted(set(years)):
            total = await self._borne_drop_offs(account_id, portal.ALL_WASTE_TYPES, year)
            if not any(month.count for month in total):
                for months in counts.values():
                    months.extend(total)  # twelve zeros
                continue
            found = True
            for type_id, months in counts.items():
                months.extend(await self._borne_drop_offs(account_id, type_id, year))
        return {type_id: tuple(months) for type_id, months in counts.items()} if found else {}

    async def _rows(
        self, path: str, account_id: int, waste_type_id: int, start: date, end: date
    ) -> list[Mapping[str, Any]]:
        """Read every DevExtreme page of a data endpoint.

        At most ``MAX_PAGES`` pages; a page served twice in a row means the portal
        ignores ``skip`` and would be read forever.
        """
        query = {
            **portal.QUERY_FIXED,
            portal.QUERY_WASTE_TYPE: str(waste_type_id),
            portal.QUERY_START: start.strftime(portal.QUERY_START_FORMAT),
            portal.QUERY_END: end.strftime(portal.QUERY_END_FORMAT),
        }
        rows: list[Mapping[str, Any]] = []
        previous: list[Mapping[str, Any]] = []
        for _page in range(portal.MAX_PAGES):
            page_query = {**query, "skip": str(len(rows)), "take": str(self._page_size)}
            payload = await self._with_session(
                partial(self._get_json, path, page_query), account_id
            )
            page_rows, total = parse_rows(payload, path)
            if page_rows and page_rows == previous:
                raise PortalChangedError(f"{path} served the same page twice (skip ignored)")
            rows.extend(page_rows)
            previous = page_rows
            more = len(rows) < total if total is not None else len(page_rows) >= self._page_size
            if not page_rows or not more:
                return rows
        raise PortalChangedError(f"{path} has more than {portal.MAX_PAGES} pages")

    # --- Internals: HTTP -----------------------------------------------------

    async def _get_page(self, path: str) -> Element:
        return await self._check_page(await self._request("GET", path))

    async def _submit(
        self, form: PageForm, value: str, *, follow_redirects: bool = True
    ) -> _Answer:
        """Send a page's form back with ``value`` in its field, as a browser would."""
        if form.method == "GET":
            params = {**form.query, **form.fill(value)}
            return await self._request(
                "GET", form.path, params=params, follow_redirects=follow_redirects
            )
        return await self._request(
            "POST",
            form.path,
            params=form.query or None,
            data=form.fill(value),
            follow_redirects=follow_redirects,
        )

    async def _check_page(self, answer: _Answer) -> Element:
        """Parse an HTML answer, noticing an expired session and keeping the token."""
        page = await self._parse_page(answer)
        if is_login_page(page):
            raise _SessionExpiredError
        self._remember_forms(page)
        return page

    @staticmethod
    async def _parse_page(answer: _Answer) -> Element:
        """Parse an HTML answer (off the event loop when it is large).

        The tree never recurses, so no nesting depth can raise ``RecursionError``.
        """
        return await _off_loop_if_large(parse_html, answer.body)

    def _remember_forms(self, page: Element) -> None:
        """Keep the page's account switch form (its token changes with the session)."""
        path = self._last[1] if self._last else portal.PATH_HOME
        with contextlib.suppress(PortalChangedError):  # a form leading off the portal
            if (form := account_switch_form(page, path, self.base_url)) is not None:
                if self._switch_form is None or form.shape != self._switch_form.shape:
                    _LOGGER.debug("Account switch form: %s", form.shape)
                self._switch_form = form

    async def _fingerprint(self, err: PortalChangedError) -> None:
        """Keep (and log) the fingerprint of the answer behind ``err``."""
        if err.fingerprint is not None or self._last is None:
            return
        method, path, answer = self._last
        err.fingerprint = await _off_loop_if_large(
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

    async def _get_json(self, path: str, query: Mapping[str, str]) -> Any:
        answer = await self._request("GET", path, params=query)
        if "json" not in answer.content_type:
            if is_login_page(await self._parse_page(answer)):
                raise _SessionExpiredError
            raise PortalChangedError(
                f"{path} answered {answer.content_type or 'no content type'}, not JSON"
            )
        try:
            return await _off_loop_if_large(json.loads, answer.body)
        except ValueError:
            raise PortalChangedError(f"{path} answered malformed JSON") from None
        except RecursionError:
            raise PortalChangedError(f"{path} answered JSON nested too deeply") from None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
    ) -> _Answer:
        """Send one request; map network errors, 5xx and 429 to library errors.

        Redirects are followed here, never by aiohttp, and only within the portal's
        own origin (scheme, host and port): the credentials of a login and the
        session cookie never go to another site, nor from https to plain http.
        """
        if self._closed and path != portal.PATH_LOGOUT:
            raise ClientClosedError
        if (wait := self._blocked_until - time.monotonic()) > 0:
            raise RateLimitedError(wait)
        url = self._base.with_path(path)
        if params:
            url = url.with_query(params)
        for _hop in range(portal.MAX_REDIRECTS + 1):
            answer, retry_after = await self._send(method, url, path, data)
            _LOGGER.debug("%s %s -> %s", method, url.path, answer.status)
            self._last = (method, path, answer)
            if not (follow_redirects and answer.status in _REDIRECTS and answer.location):
                break
            try:
                target = url.join(URL(answer.location))
            except ValueError:
                raise PortalChangedError(f"{method} {path} redirected to a bad address") from None
            if _origin(target) != _origin(self._base):
                raise PortalChangedError(f"{method} {path} redirected away from the portal")
            if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                method, data = "GET", None  # what browsers do; 307 and 308 keep the form
            url = target
        else:
            raise PortalChangedError(f"{method} {path}: over {portal.MAX_REDIRECTS} redirects")
        if answer.status == 429:
            delay = _retry_after_seconds(retry_after)
            self._blocked_until = time.monotonic() + delay
            raise RateLimitedError(delay)
        if answer.status >= 500:
            raise PortalConnectionError(f"{method} {path}: HTTP {answer.status}")
        if answer.status >= 400:
            raise PortalChangedError(f"{method} {path} answered HTTP {answer.status}")
        return answer

    async def _send(
        self, method: str, url: URL, path: str, data: Mapping[str, str] | None
    ) -> tuple[_Answer, str | None]:
        """Send one HTTP request, without following redirects; return its Retry-After."""
        try:
            async with self._session.request(
                method, url, data=data, allow_redirects=False, timeout=self._timeout
            ) as response:
                answer = _Answer(
                    status=response.status,
                    body=await _read_body(response, f"{method} {path}"),
                    content_type=response.content_type,
                    location=response.headers.get("Location", "")
                    if 300 <= response.status < 400
                    else "",
                )
                return answer, response.headers.get("Retry-After")
        except TimeoutError as err:
            raise PortalConnectionError(
                f"{method} {path}: no answer in {self._timeout.total:.0f} s"
            ) from err
        except aiohttp.ClientError as err:
            raise PortalConnectionError(f"{method} {path}: {type(err).__name__}") from err


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


def _retry_after_seconds(value: str | None) -> float:
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


def _key_error(message: str) -> LinkError:
    """Classify the portal's refusal of an activation key by its words."""
    folded = casefold_without_accents(message)
    if all(word in folded for word in portal.KEY_ALREADY_USED_WORDS):
        return KeyAlreadyUsedError(message)
    if all(word in folded for word in portal.KEY_OTHER_COMMUNE_WORDS):
        return KeyOtherCommuneError(message)
    return InvalidKeyError(message)
