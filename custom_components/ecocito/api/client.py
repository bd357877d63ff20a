"""The asyncio client of the Ecocito portal: what its pages and answers mean.

Only the KNOWN parts of the portal are required (``portal.py``): logging in, the
collection page's waste-type select, ``GetCollecte`` and ``GetApport``. A login whose
pages show no account drop-down is one production point, for which no switch is ever
posted; the borne statistics are read as an optional part, whose failure costs only
their own figures; without the association wizard, linking says it is unavailable.
HTTP itself (redirects, back-off, size caps, pages) is ``transport.py``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import date
import functools
from functools import partial
import logging
import re
from typing import TYPE_CHECKING, Any

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
    LinkUnavailableError,
    PortalChangedError,
    PortalConnectionError,
    PortalUserInfoError,
    RateLimitedError,
    SessionRefusedError,
    UnknownAccountError,
    UnknownCommuneError,
)
from .forms import (
    PageForm,
    account_switch_form,
    commune_form,
    commune_search,
    default_switch_form,
    key_form,
)
from .models import Account, AccountData, AccountList, Commune, MonthlyCount, Pickup, WasteType
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
    parse_visit,
    parse_waste_types,
    portal_messages,
    row_waste_type,
)
from .transport import (
    DEFAULT_TIMEOUT,
    Answer,
    NotJsonError,
    ServerError,
    Transport,
    parse_page,
    read_pages,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping
    from typing import Concatenate

    import aiohttp

    from .html import Element
    from .models import Visit

_LOGGER = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 500
"""Rows asked for per DevExtreme page: a year of an account's pickups, every type."""
BORNE_STATISTICS = "borne_statistics"
"""The optional part that the borne openings come from (``AccountData.problems``)."""
_ONE_ROW = "1"
"""The page size of a look: the answer's ``totalCount`` is what is wanted."""

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


def _fingerprinted[**P, T](
    call: Callable[Concatenate[EcocitoClient, P], Awaitable[T]],
) -> Callable[Concatenate[EcocitoClient, P], Awaitable[T]]:
    """Keep the fingerprint of the answer that a public call failed to understand."""

    @functools.wraps(call)
    async def run(self: EcocitoClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await call(self, *args, **kwargs)
        except PortalChangedError as err:
            await self._http.fingerprint(err)
            raise

    return run


def _expect[T](page: Element, parse: Callable[[Element], T]) -> T:
    """Parse a page; one that carries the portal's message instead is a temporary failure."""
    try:
        return parse(page)
    except PortalChangedError:
        if messages := portal_messages(page):
            raise PortalConnectionError(" ".join(messages)) from None
        raise


class EcocitoClient:
    """A session with one Ecocito portal for one login.

    The portal keeps the active account in the session: a call that reads an account
    switches to it first unless it is the active one already (never with a single
    account); a lock makes "switch then fetch" atomic.
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
        self._http = Transport(
            session, URL(normalize_portal(portal_address)), request_timeout=request_timeout
        )
        self._username = username
        self._password = password
        self._page_size = page_size
        self._lock = asyncio.Lock()
        self._logged_in = False
        self._opened = False
        """A login was posted: the portal may hold a session, even if its answer was lost."""
        self._accounts = AccountList(accounts=(), active_id=None)
        """The accounts the last login listed."""
        self._active: int | None = None
        """The session's active account, as far as the client knows."""
        self._labels: dict[int, str] = {}
        """Labels an unnumbered account got from its rows' address."""
        self._switch_form: PageForm | None = None
        """The latest page's form holding the account drop-down."""
        self._search: tuple[str, dict[str, str]] | None = None
        """The commune search's path and query, as the wizard's page gives it."""
        self.unnumbered_id: int | None = None
        """The number to give the login's one account when its pages never name it (the
        one already known), else ``UNNUMBERED_ACCOUNT_ID``."""
        self.typed_rows: bool | None = None
        """Whether the portal's pickup rows carry their waste type (``ID_MATIERE``):
        then one request reads every type of an account; else one per type. None until
        a read tells."""

    @property
    def base_url(self) -> str:
        """Return the portal's normalised base URL."""
        return str(self._http.base)

    @property
    def portal_name(self) -> str:
        """Return the portal's short name: its subdomain of ecocito.com, else its host."""
        host = self._http.base.host or ""
        subdomain = host.removesuffix(f".{portal.PORTAL_DOMAIN}")
        return subdomain if subdomain != host else self.portal_id

    @property
    def portal_id(self) -> str:
        """Return the portal's host (with its port, if any): a stable identity."""
        return self._http.base.raw_authority.lower()

    @property
    def portal_fingerprints(self) -> list[dict[str, Any]]:
        """Return the structure of the last answers the client failed to understand.

        Names, types and counts only (see ``fingerprint.py``): safe to show a maintainer.
        """
        return self._http.fingerprints

    # --- Session ------------------------------------------------------------

    @_fingerprinted
    async def login(self) -> AccountList:
        """Log in and return the linked accounts (one, when the portal shows no drop-down)."""
        async with self._lock:
            return await self._login()

    async def logout(self) -> None:
        """End the portal session and close the client for good.

        A call in progress stops at its next request; every later call raises
        :class:`ClientClosedError` instead of logging in again.
        """
        self._http.closed = True
        async with self._lock:
            if self._opened:
                self._logged_in = self._opened = False
                await self._request("GET", portal.PATH_LOGOUT, follow_redirects=False)

    # --- Account data -------------------------------------------------------

    @_fingerprinted
    async def get_account_data(
        self, account_id: int, start: date, end: date, *, borne_years: Iterable[int] = ()
    ) -> AccountData:
        """Return an account's waste types, pickups and visits between two dates.

        With ``borne_years``, also its borne openings of those years per waste type: an
        optional part, whose failure is told in ``problems`` and costs nothing else.
        """
        async with self._lock:
            account, page = await self._with_session(partial(self._account_page, account_id))
            waste_types = _expect(page, parse_waste_types)
            pickups, foreign = await self._pickups(account_id, waste_types, start, end)
            visits = await self._visits(account_id, start, end)
            bornes, problems = await self._optional_bornes(account_id, waste_types, borne_years)
        if not account.label:
            account = self._label_from_rows(account, pickups)
        return AccountData(
            account=account,
            waste_types=waste_types,
            pickups=tuple(sorted(pickups, key=lambda pickup: pickup.date)),
            visits=visits,
            borne_drop_offs=bornes,
            problems=problems,
            foreign_rows=foreign,
            typed_rows=bool(self.typed_rows),
        )

    @_fingerprinted
    async def get_pickups(
        self, account_id: int, waste_types: Iterable[WasteType], start: date, end: date
    ) -> dict[int, tuple[Pickup, ...]]:
        """Return an account's pickups of some waste types, per type (switching if need be)."""
        types = tuple(waste_types)
        async with self._lock:
            await self._with_session(partial(self._open, account_id))
            pickups, _foreign = await self._pickups(account_id, types, start, end)
        return {t.id: tuple(p for p in pickups if p.waste_type_id == t.id) for t in types}

    @_fingerprinted
    async def count_pickups(self, account_id: int, start: date, end: date) -> int | None:
        """Return how many pickup rows of every type the account has between two dates.

        One small request (a page of one row): enough to tell whether anything arrived
        (late uploads included). None when the portal gives no total.
        """
        query = {**self._query(portal.ALL_WASTE_TYPES, start, end), "skip": "0", "take": _ONE_ROW}
        async with self._lock:
            await self._with_session(partial(self._open, account_id))
            payload = await self._with_session(
                partial(self._get_json, portal.PATH_PICKUPS, query), account_id
            )
        total = payload.get(portal.JSON_TOTAL) if isinstance(payload, dict) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else None

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
            start = await self._wizard_start()
            self._search = commune_search(start, portal.PATH_LINK_START, self.base_url)
            _LOGGER.debug("Commune search: %s", self._search[0])
        path, query = self._search
        try:
            return await self._get_json(path, {**query, portal.QUERY_TERM: term})
        except PortalChangedError as err:
            self._search = None  # read the wizard's page again next time
            if "HTTP 404" in str(err):
                raise LinkUnavailableError("The portal has no commune search") from err
            raise

    @_fingerprinted
    async def link_account(self, commune_id: int, activation_key: str) -> Account:
        """Link another production point with its commune and activation key.

        Returns the newly linked account. Raises a :class:`LinkError` subclass carrying
        the portal's message when the portal refuses the commune or the key, and
        :class:`LinkUnavailableError` when it shows no wizard the client understands.
        """
        async with self._lock:
            return await self._with_session(lambda: self._link(commune_id, activation_key.strip()))

    async def _wizard_start(self) -> Element:
        """Return the wizard's first page (the one wizard address the client must know)."""
        try:
            return await self._get_page(portal.PATH_LINK_START)
        except PortalChangedError as err:
            raise LinkUnavailableError("The portal has no association wizard") from err

    async def _link(self, commune_id: int, activation_key: str) -> Account:
        start = await self._wizard_start()
        self._search = commune_search(start, portal.PATH_LINK_START, self.base_url)
        before = {account.id for account in parse_accounts(start).accounts}
        try:
            step = commune_form(start, portal.PATH_LINK_START, self.base_url)
        except PortalChangedError as err:
            raise LinkUnavailableError("The wizard's page has no commune step") from err
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
        if accounts.listed:
            self._accounts = accounts
        new = [account for account in accounts.accounts if account.id not in before]
        if len(new) != 1:
            raise PortalChangedError("the newly linked account is not in the account drop-down")
        return new[0]

    # --- Internals: session and account --------------------------------------

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
                    if account_id is not None and account_id != self._active:
                        await self._post_switch(account_id)
                return await fetch()
            except _SessionExpiredError:
                _LOGGER.debug("The portal session has expired")
                self._logged_in = False
        raise SessionRefusedError("The portal ended the session right after logging in")

    async def _login(self) -> AccountList:
        self._logged_in = False
        self._active = None
        try:
            answer = await self._request(
                "POST",
                portal.PATH_LOGIN,
                data={
                    portal.FIELD_LOGIN: self._username,
                    portal.FIELD_PASSWORD: self._password,
                    **portal.LOGIN_FIXED_FIELDS,
                },
            )
        except PortalChangedError:
            self._opened = True  # it answered, but not as expected: a session may be open
            raise
        page = await parse_page(answer)
        if messages := error_messages(page):
            raise AuthenticationError(" ".join(messages))
        if is_login_page(page):
            # Only the portal's message means a wrong password: this is a glitch.
            raise SessionRefusedError(
                " ".join(portal_messages(page))
                or "The portal showed its login page again, without a message"
            )
        self._logged_in = self._opened = True
        self._remember_forms(page)
        if find_account_select(page) is None and answer.path.lower() != portal.PATH_HOME.lower():
            page = await self._get_page(portal.PATH_HOME)
        accounts = parse_accounts(page)
        if not accounts.listed:
            accounts = self._one_account(accounts.accounts[0])
        self._accounts = accounts
        self._active = accounts.active_id
        return accounts

    async def _open(self, account_id: int) -> tuple[Account, Element] | None:
        """Make ``account_id`` the session's account, posting a switch only if it is not.

        A switch is confirmed by the collection page (returned): never read another
        account's data. None: the account was the active one already.
        """
        if all(account.id != account_id for account in self._accounts.accounts):
            raise UnknownAccountError(account_id)
        if self._active == account_id:
            return None
        await self._post_switch(account_id)
        return await self._confirm(account_id)

    async def _account_page(self, account_id: int) -> tuple[Account, Element]:
        """Return the account and its collection page (its waste types), switching if need be."""
        if (opened := await self._open(account_id)) is not None:
            return opened
        account, page, shown = await self._collection(account_id)
        if shown == account_id:
            return account, page
        self._active = shown  # the portal moved the session to another account
        await self._post_switch(account_id)
        return await self._confirm(account_id)

    async def _confirm(self, account_id: int) -> tuple[Account, Element]:
        account, page, shown = await self._collection(account_id)
        if shown != account_id:
            raise PortalChangedError(f"the portal did not switch to account {account_id}")
        self._active = account_id
        return account, page

    async def _collection(self, account_id: int) -> tuple[Account, Element, int | None]:
        """Read the collection page: the account as it lists it, and the active account."""
        page = await self._get_page(portal.PATH_COLLECTION_PAGE)
        accounts = parse_accounts(page)
        if not accounts.listed:  # a page without drop-down: the login's one account
            known = next(a for a in self._accounts.accounts if a.id == account_id)
            return known, page, account_id
        account = next((a for a in accounts.accounts if a.id == account_id), None)
        if account is None:
            raise UnknownAccountError(account_id)
        return account, page, accounts.active_id

    async def _post_switch(self, account_id: int) -> None:
        """Ask the portal to switch the active account (its redirect is not followed).

        The form holding the drop-down on the latest page says how; the modelled one
        stands in until a page has shown it.
        """
        if not self._accounts.listed:
            raise UnknownAccountError(account_id)  # one account: nothing to switch to
        form = self._switch_form or default_switch_form()
        answer = await self._submit(form, str(account_id), follow_redirects=False)
        if answer.location:
            if portal.PATH_LOGIN.lower() in answer.location.lower():
                raise _SessionExpiredError
        elif messages := error_messages(await self._check_page(answer)):
            raise UnknownAccountError(account_id, " ".join(messages))
        self._active = account_id

    def _one_account(self, account: Account) -> AccountList:
        """Return the login's one account: numbered as known, labelled as its rows were."""
        if account.id == portal.UNNUMBERED_ACCOUNT_ID and self.unnumbered_id is not None:
            account = replace(account, id=self.unnumbered_id)
        if not account.label:
            account = replace(account, label=self._labels.get(account.id, ""))
        return AccountList(accounts=(account,), active_id=account.id, listed=False)

    def _label_from_rows(self, account: Account, pickups: list[Pickup]) -> Account:
        """Name an account its pages do not name: by its rows' address, else the portal."""
        address = next((p.address for p in reversed(pickups) if p.address), None)
        label = address or self._labels.get(account.id) or f"Ecocito {self.portal_name}"
        if address:
            self._labels[account.id] = address
        return replace(account, label=label)

    # --- Internals: data ------------------------------------------------------

    def _query(self, waste_type_id: int, start: date, end: date) -> dict[str, str]:
        return {
            **portal.QUERY_FIXED,
            portal.QUERY_WASTE_TYPE: str(waste_type_id),
            portal.QUERY_START: start.strftime(portal.QUERY_START_FORMAT),
            portal.QUERY_END: end.strftime(portal.QUERY_END_FORMAT),
        }

    async def _pickups(
        self, account_id: int, waste_types: Iterable[WasteType], start: date, end: date
    ) -> tuple[list[Pickup], int]:
        """Read pickups of the account's waste types; return them and the rows left out.

        Where rows carry their waste type, one read of every type (``-1``) serves them
        all; else (or once it has shown they do not), one read per type. A row of
        another type than asked for is never counted under the one asked for.
        """
        wanted = {waste_type.id for waste_type in waste_types}
        if self.typed_rows is not False:
            rows = await self._rows(
                portal.PATH_PICKUPS, account_id, portal.ALL_WASTE_TYPES, start, end
            )
            if all(row_waste_type(row) is not None for row in rows):
                if rows:
                    self.typed_rows = True
                pickups = [parse_pickup(row, portal.ALL_WASTE_TYPES) for row in rows]
                kept = [pickup for pickup in pickups if pickup.waste_type_id in wanted]
                return kept, len(pickups) - len(kept)
            _LOGGER.debug("Pickup rows carry no waste type: reading one type at a time")
            self.typed_rows = False
        pickups, foreign = [], 0
        for type_id in sorted(wanted):
            for row in await self._rows(portal.PATH_PICKUPS, account_id, type_id, start, end):
                if (own := row_waste_type(row)) is not None and own != type_id:
                    foreign += 1
                    continue
                pickups.append(parse_pickup(row, type_id))
        return pickups, foreign

    async def _visits(self, account_id: int, start: date, end: date) -> tuple[Visit, ...]:
        rows = await self._rows(portal.PATH_VISITS, account_id, portal.ALL_WASTE_TYPES, start, end)
        return tuple(parse_visit(row) for row in rows)

    async def _optional_bornes(
        self, account_id: int, waste_types: tuple[WasteType, ...], years: Iterable[int]
    ) -> tuple[dict[int, tuple[MonthlyCount, ...]] | None, dict[str, str]]:
        """Read the borne openings as an optional part: a failure is told, never raised.

        Only what stops every request (a back-off, the client closed) goes on up.
        """
        if not (wanted := sorted(set(years))):
            return None, {}
        try:
            return await self._bornes(account_id, [t.id for t in waste_types], wanted), {}
        except (RateLimitedError, ClientClosedError, SessionRefusedError):
            raise
        except PortalChangedError as err:
            await self._http.fingerprint(err)
            return None, {BORNE_STATISTICS: err.what}
        except PortalConnectionError as err:
            return None, {BORNE_STATISTICS: str(err)}

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
        self, account_id: int, waste_type_ids: list[int], years: list[int]
    ) -> dict[int, tuple[MonthlyCount, ...]]:
        """Read the borne openings of some waste types and years, sparing the empty ones.

        Per year, one request for all types together; only when that counts an opening,
        one more per waste type. Empty when no year counts any opening.
        """
        counts: dict[int, list[MonthlyCount]] = {type_id: [] for type_id in waste_type_ids}
        found = False
        for year in years:
            total = await self._borne_drop_offs(account_id, portal.ALL_WASTE_TYPES, year)
            if not any(month.count for month in total):
                for months in counts.values():
                    months.extend(total)  # zeros
                continue
            found = True
            for type_id, months in counts.items():
                months.extend(await self._borne_drop_offs(account_id, type_id, year))
        return {type_id: tuple(months) for type_id, months in counts.items()} if found else {}

    async def _rows(
        self, path: str, account_id: int, waste_type_id: int, start: date, end: date
    ) -> list[Mapping[str, Any]]:
        """Read every DevExtreme page of a data endpoint (``transport.read_pages``)."""
        query = self._query(waste_type_id, start, end)
        return await read_pages(
            lambda page: self._with_session(
                partial(self._get_json, path, {**query, **page}), account_id
            ),
            path,
            self._page_size,
        )

    # --- Internals: answers ---------------------------------------------------

    async def _request(self, method: str, path: str, **kwargs: Any) -> Answer:
        """Send a request; a 5xx says what the portal's error page says."""
        try:
            return await self._http.request(method, path, **kwargs)
        except ServerError as err:
            raise await _server_error(err) from err

    async def _get_page(self, path: str) -> Element:
        return await self._check_page(await self._request("GET", path))

    async def _submit(self, form: PageForm, value: str, *, follow_redirects: bool = True) -> Answer:
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

    async def _check_page(self, answer: Answer) -> Element:
        """Parse an HTML answer, noticing an expired session and keeping the token.

        A page whose drop-down selects an account says which one the session is on.
        """
        page = await parse_page(answer)
        if is_login_page(page):
            raise _SessionExpiredError
        self._remember_forms(page)
        with contextlib.suppress(PortalChangedError):  # a drop-down not understood
            if (shown := parse_accounts(page)).listed:
                self._active = shown.active_id
        return page

    def _remember_forms(self, page: Element) -> None:
        """Keep the page's account switch form (its token changes with the session)."""
        path = self._http.last[1] if self._http.last else portal.PATH_HOME
        with contextlib.suppress(PortalChangedError):  # a form leading off the portal
            if (form := account_switch_form(page, path, self.base_url)) is not None:
                if self._switch_form is None or form.shape != self._switch_form.shape:
                    _LOGGER.debug("Account switch form: %s", form.shape)
                self._switch_form = form

    async def _get_json(self, path: str, query: Mapping[str, str]) -> Any:
        """Return a JSON answer; a page instead is an expired session, a message or a change."""
        try:
            return await self._http.get_json(path, query)
        except ServerError as err:
            raise await _server_error(err) from err
        except NotJsonError as err:
            page = await parse_page(err.answer)
            if is_login_page(page):
                raise _SessionExpiredError from None
            if messages := portal_messages(page):
                raise PortalConnectionError(f"{path}: {' '.join(messages)}") from None
            content_type = err.answer.content_type or "no content type"
            raise PortalChangedError(f"{path} answered {content_type}, not JSON") from None


async def _server_error(err: ServerError) -> PortalConnectionError:
    """Return a 5xx as a temporary failure carrying what the portal's page says."""
    messages = portal_messages(await parse_page(err.answer), heading=True)
    return PortalConnectionError(f"{err}: {' '.join(messages)}" if messages else str(err))


def _key_error(message: str) -> LinkError:
    """Classify the portal's refusal of an activation key by its words."""
    folded = casefold_without_accents(message)
    if all(word in folded for word in portal.KEY_ALREADY_USED_WORDS):
        return KeyAlreadyUsedError(message)
    if all(word in folded for word in portal.KEY_OTHER_COMMUNE_WORDS):
        return KeyOtherCommuneError(message)
    return InvalidKeyError(message)
