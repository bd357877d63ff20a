"""The asyncio client of the Ecocito portal: what its pages and answers mean.

Only the KNOWN parts of the portal are required (``portal.py``): logging in, the
collection page's waste-type select, ``GetCollecte`` and ``GetApport``. A login whose
pages show no account drop-down is one production point, for which no switch is ever
posted; the borne statistics are read as an optional part, whose failure costs only
their own figures; without the association wizard, linking says it is unavailable.
HTTP itself (redirects, back-off, size caps, pages) is ``transport.py``'s.
"""

from __future__ import annotations

from datetime import date
import functools
from functools import partial
import logging
import re
from typing import TYPE_CHECKING, Any

from yarl import URL

from . import portal, shape
from .errors import (
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
    UnknownCommuneError,
)
from .forms import (
    commune_form,
    commune_search,
    key_form,
)
from .models import Account, AccountData, AccountList, Commune, MonthlyCount, Pickup, WasteType
from .parsing import (
    casefold_without_accents,
    error_messages,
    has_success_alert,
    parse_accounts,
    parse_communes,
    parse_monthly_counts,
    parse_pickup,
    parse_visit,
    parse_waste_types,
    portal_messages,
    row_waste_type,
)
from .session import PortalSession
from .transport import (
    DEFAULT_TIMEOUT,
    ServerError,
    Transport,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable
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
    """What one login reads from its portal: accounts' data, and the association wizard.

    Its session (``session.py``) logs in, knows the accounts and switches between them;
    a lock makes "switch then fetch" atomic.
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
        self._session = PortalSession(self._http, username, password, self.portal_name)
        self._page_size = page_size
        self._search: tuple[str, dict[str, str]] | None = None
        """The commune search's path and query, as the wizard's page gives it."""
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
    def unnumbered_id(self) -> int | None:
        """Return the number the login's one account gets when its pages never name it."""
        return self._session.unnumbered_id

    @unnumbered_id.setter
    def unnumbered_id(self, account_id: int | None) -> None:
        self._session.unnumbered_id = account_id

    @property
    def active_account(self) -> int | None:
        """Return the session's active account, as far as the client knows (None: none)."""
        return self._session.active if self._session.logged_in else None

    @property
    def portal_fingerprints(self) -> list[dict[str, Any]]:
        """Return the structure of the last answers the client failed to understand.

        Names, types and counts only (see ``fingerprint.py``): safe to show a maintainer.
        """
        return self._session.http.fingerprints

    @property
    def portal_shape(self) -> dict[str, Any]:
        """Return the latest shape of each kind of answer read, failed or not.

        Names, types and counts only (see ``shape.py``): safe to show a maintainer.
        """
        return self._session.shape.as_dict(
            account.id for account in self._session.accounts.accounts
        )

    # --- Session ------------------------------------------------------------

    @_fingerprinted
    async def login(self) -> AccountList:
        """Log in and return the linked accounts (one, when the portal shows no drop-down)."""
        async with self._session.lock:
            return await self._session.log_in()

    async def logout(self) -> None:
        """End the portal session and close the client for good.

        A call in progress stops at its next request; every later call raises
        :class:`ClientClosedError` instead of logging in again.
        """
        self._http.closed = True
        async with self._session.lock:
            await self._session.logout()

    # --- Account data -------------------------------------------------------

    @_fingerprinted
    async def get_account_data(
        self, account_id: int, start: date, end: date, *, borne_years: Iterable[int] = ()
    ) -> AccountData:
        """Return an account's waste types, pickups and visits between two dates.

        With ``borne_years``, also its borne openings of those years per waste type: an
        optional part, whose failure is told in ``problems`` and costs nothing else.
        """
        async with self._session.lock:
            account, page = await self._session.with_session(
                partial(self._session.account_page, account_id)
            )
            waste_types = _expect(page, parse_waste_types)
            pickups, foreign = await self._pickups(account_id, waste_types, start, end)
            visits = await self._visits(account_id, start, end)
            bornes, problems = await self._optional_bornes(account_id, waste_types, borne_years)
        self._session.shape.account_rows(account_id, pickups)
        if not account.label:
            account = self._session.label_from_rows(account, pickups)
        return AccountData(
            account=account,
            waste_types=waste_types,
            pickups=tuple(sorted(pickups, key=lambda pickup: pickup.date)),
            visits=visits,
            borne_drop_offs=bornes,
            problems=problems,
            foreign_rows=foreign,
        )

    @_fingerprinted
    async def get_pickups(
        self, account_id: int, waste_types: Iterable[WasteType], start: date, end: date
    ) -> dict[int, tuple[Pickup, ...]]:
        """Return an account's pickups of some waste types, per type (switching if need be)."""
        types = tuple(waste_types)
        async with self._session.lock:
            await self._session.with_session(partial(self._session.open_account, account_id))
            pickups, _foreign = await self._pickups(account_id, types, start, end)
        return {t.id: tuple(p for p in pickups if p.waste_type_id == t.id) for t in types}

    @_fingerprinted
    async def count_pickups(self, account_id: int, start: date, end: date) -> int | None:
        """Return how many pickup rows of every type the account has between two dates.

        One small request (a page of one row): enough to tell whether anything arrived
        (late uploads included). None when the portal gives no total.
        """
        query = {**self._query(portal.ALL_WASTE_TYPES, start, end), "skip": "0", "take": _ONE_ROW}
        async with self._session.lock:
            open_account = partial(self._session.open_account, account_id, confirm=False)
            await self._session.with_session(open_account)
            payload = await self._session.with_session(
                partial(self._session.get_json, portal.PATH_PICKUPS, query), account_id
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
        async with self._session.lock:
            payload = await self._session.with_session(partial(self._search_communes, term))
        return parse_communes(payload)

    @_fingerprinted
    async def open_wizard(self) -> None:
        """Read the wizard's first page, where its commune search looks.

        Raises :class:`LinkUnavailableError` when the portal shows no wizard: a flow
        says so before asking for a commune. The search then needs no page of its own.
        """
        async with self._session.lock:
            start = await self._session.with_session(self._wizard_start)
            self._search = commune_search(start, portal.PATH_LINK_START, self.base_url)

    async def _search_communes(self, term: str) -> Any:
        if self._search is None:  # the wizard's page says where its autocomplete looks
            start = await self._wizard_start()
            self._search = commune_search(start, portal.PATH_LINK_START, self.base_url)
            _LOGGER.debug("Commune search: %s", self._search[0])
        path, query = self._search
        try:
            payload = await self._session.get_json(path, {**query, portal.QUERY_TERM: term})
        except PortalChangedError as err:
            self._search = None  # read the wizard's page again next time
            if "HTTP 404" in str(err):
                self._answer_failed(shape.COMMUNE_SEARCH, path)
                raise LinkUnavailableError("The portal has no commune search") from err
            raise
        self._session.shape.items(shape.COMMUNE_SEARCH, payload)
        return payload

    @_fingerprinted
    async def link_account(self, commune_id: int, activation_key: str) -> Account:
        """Link another production point with its commune and activation key.

        Returns the newly linked account. Raises a :class:`LinkError` subclass carrying
        the portal's message when the portal refuses the commune or the key, and
        :class:`LinkUnavailableError` when it shows no wizard the client understands.
        """
        async with self._session.lock:
            return await self._session.with_session(
                lambda: self._link(commune_id, activation_key.strip())
            )

    async def _wizard_start(self) -> Element:
        """Return the wizard's first page (the one wizard address the client must know)."""
        try:
            page = await self._session.get_page(portal.PATH_LINK_START)
        except PortalChangedError as err:
            self._answer_failed(shape.WIZARD_START, portal.PATH_LINK_START)
            raise LinkUnavailableError("The portal has no association wizard") from err
        self._session.shape.page(shape.WIZARD_START, portal.PATH_LINK_START, page)
        return page

    async def _link(self, commune_id: int, activation_key: str) -> Account:
        start = await self._wizard_start()
        self._search = commune_search(start, portal.PATH_LINK_START, self.base_url)
        before = {account.id for account in parse_accounts(start).accounts}
        try:
            step = commune_form(start, portal.PATH_LINK_START, self.base_url)
        except PortalChangedError as err:
            raise LinkUnavailableError("The wizard's page has no commune step") from err
        _LOGGER.debug("Wizard's commune step: %s", step.shape)
        key_step = await self._session.check_page(await self._session.submit(step, str(commune_id)))
        self._session.shape.page(shape.WIZARD_COMMUNE_ANSWER, step.path, key_step)
        if messages := error_messages(key_step):
            raise UnknownCommuneError(" ".join(messages))
        step = key_form(key_step, step.path, self.base_url)
        _LOGGER.debug("Wizard's key step: %s", step.shape)
        done = await self._session.check_page(await self._session.submit(step, activation_key))
        self._session.shape.page(shape.WIZARD_KEY_ANSWER, step.path, done)
        if messages := error_messages(done):
            raise _key_error(" ".join(messages))
        if not has_success_alert(done):
            raise PortalChangedError("the activation key step ended without a confirmation")
        accounts = parse_accounts(done)
        if accounts.listed:
            self._session.accounts = accounts
        new = [account for account in accounts.accounts if account.id not in before]
        if len(new) != 1:
            raise PortalChangedError("the newly linked account is not in the account drop-down")
        return new[0]

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
            rows = await self._session.get_rows(
                portal.PATH_PICKUPS,
                self._query(portal.ALL_WASTE_TYPES, start, end),
                account_id,
                self._page_size,
                shape.PICKUPS,
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
            rows = await self._session.get_rows(
                portal.PATH_PICKUPS,
                self._query(type_id, start, end),
                account_id,
                self._page_size,
                shape.PICKUPS,
            )
            for row in rows:
                if (own := row_waste_type(row)) is not None and own != type_id:
                    foreign += 1
                    continue
                pickups.append(parse_pickup(row, type_id))
        return pickups, foreign

    async def _visits(self, account_id: int, start: date, end: date) -> tuple[Visit, ...]:
        rows = await self._session.get_rows(
            portal.PATH_VISITS,
            self._query(portal.ALL_WASTE_TYPES, start, end),
            account_id,
            self._page_size,
            shape.VISITS,
        )
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
            self._answer_failed(shape.BORNE_STATISTICS, portal.PATH_BORNE_DROP_OFFS)
            await self._session.http.fingerprint(err)
            return None, {BORNE_STATISTICS: err.what}
        except PortalConnectionError as err:
            self._answer_failed(shape.BORNE_STATISTICS, portal.PATH_BORNE_DROP_OFFS)
            if isinstance(err.__cause__, ServerError):  # an error page: keep its shape
                await self._session.http.fingerprint(
                    PortalChangedError(f"{portal.PATH_BORNE_DROP_OFFS} failed: {err}")
                )
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
        payload = await self._session.with_session(
            partial(self._session.get_json, path, query), account_id
        )
        self._session.shape.items(shape.BORNE_STATISTICS, payload)
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

    def _answer_failed(self, kind: str, path: str) -> None:
        """Keep in the portal's shape that the answer of ``kind`` was an HTTP error.

        Only if the last answer was to ``path``: a failed login or account switch on the
        way is not the shape of this kind.
        """
        last = self._session.http.last
        if last is not None and last[1] == path and last[2].status >= 400:
            self._session.shape.failed(kind, last[2].status)


def _key_error(message: str) -> LinkError:
    """Classify the portal's refusal of an activation key by its words."""
    folded = casefold_without_accents(message)
    if all(word in folded for word in portal.KEY_ALREADY_USED_WORDS):
        return KeyAlreadyUsedError(message)
    if all(word in folded for word in portal.KEY_OTHER_COMMUNE_WORDS):
        return KeyOtherCommuneError(message)
    return InvalidKeyError(message)
