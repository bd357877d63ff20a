"""One login's session with the portal: logging in, its accounts, switching, its answers.

The portal keeps the active account in the session: ``open_account`` posts a switch only
when the account is not the active one already (never with a single account), and
the collection page confirms it before any of the account's rows is read (a look reads
only a count: the read that follows it, if any, confirms its switch). Pages and JSON
answers are checked here for an expired session (the login page again: log in once
more and retry once), for the portal's own message (a temporary failure that says why)
and for the account switch form, whose token changes with the session.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from functools import partial
import logging
from typing import TYPE_CHECKING, Any

from . import portal, shape
from .errors import (
    AuthenticationError,
    PortalChangedError,
    PortalConnectionError,
    SessionRefusedError,
    UnknownAccountError,
)
from .forms import PageForm, account_switch_form, default_switch_form
from .models import Account, AccountList
from .parsing import (
    error_messages,
    find_account_select,
    is_login_page,
    parse_accounts,
    parse_rows,
    portal_messages,
)
from .shape import PortalShape
from .transport import Answer, NotJsonError, ServerError, Transport, parse_page

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from .html import Element
    from .models import Pickup

_LOGGER = logging.getLogger(__name__)


class SessionExpiredError(Exception):
    """The portal answered with its login page: the session is gone."""


class PortalSession:
    """The session of one login with one portal, and what it knows of its accounts."""

    def __init__(self, http: Transport, username: str, password: str, portal_name: str) -> None:
        """Log in as ``username`` through ``http`` (the portal's short name labels accounts)."""
        self.http = http
        self.shape = PortalShape()
        """The latest shape of each kind of answer read (``shape.py``)."""
        self._username = username
        self._password = password
        self._portal_name = portal_name
        self.lock = asyncio.Lock()
        """Held for "switch then fetch": the portal's active account is the session's."""
        self.logged_in = False
        self.opened = False
        """A login was posted: the portal may hold a session, even if its answer was lost."""
        self.accounts = AccountList(accounts=(), active_id=None)
        """The accounts the last login (or wizard) listed."""
        self.active: int | None = None
        """The session's active account, as far as the client knows."""
        self.unconfirmed = False
        """The active account was switched to, and no page has shown it yet."""
        self.labels: dict[int, str] = {}
        """Labels an unnumbered account got from its rows' address."""
        self.switch_form: PageForm | None = None
        """The latest page's form holding the account drop-down."""
        self.unnumbered_id: int | None = None
        """The number to give the login's one account when its pages never name it (the
        one already known), else ``UNNUMBERED_ACCOUNT_ID``."""

    async def logout(self) -> None:
        """End the portal session, if one may be open."""
        if self.opened:
            self.logged_in = self.opened = False
            await self.request("GET", portal.PATH_LOGOUT, follow_redirects=False)

    async def with_session[T](
        self, fetch: Callable[[], Awaitable[T]], account_id: int | None = None
    ) -> T:
        """Run ``fetch`` in a live session on ``account_id`` (if given).

        When the portal answers with its login page, log in (and switch) again once
        and retry once; a second login page is an authentication error.
        """
        for _attempt in range(2):
            try:
                if not self.logged_in:
                    await self.log_in()
                    if account_id is not None and account_id != self.active:
                        await self._post_switch(account_id)
                return await fetch()
            except SessionExpiredError:
                _LOGGER.debug("The portal session has expired")
                self.logged_in = False
        raise SessionRefusedError("The portal ended the session right after logging in")

    async def log_in(self) -> AccountList:
        """Log in (the lock held): a fresh session on the login's first account."""
        self.logged_in = False
        self.active = None
        try:
            answer = await self.request(
                "POST",
                portal.PATH_LOGIN,
                data={
                    portal.FIELD_LOGIN: self._username,
                    portal.FIELD_PASSWORD: self._password,
                    **portal.LOGIN_FIXED_FIELDS,
                },
            )
        except PortalChangedError:
            self.opened = True  # it answered, but not as expected: a session may be open
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
        self.logged_in = self.opened = True
        self._remember_forms(page)
        path = answer.path
        if find_account_select(page) is None and path.lower() != portal.PATH_HOME.lower():
            page, path = await self.get_page(portal.PATH_HOME), portal.PATH_HOME
        self.shape.page(shape.LOGIN, path, page)
        self.shape.drop_down(page)
        accounts = parse_accounts(page)
        if not accounts.listed:
            accounts = self._one_account(accounts.accounts[0])
        self.accounts = accounts
        self.active, self.unconfirmed = accounts.active_id, False
        return accounts

    async def open_account(
        self, account_id: int, *, confirm: bool = True
    ) -> tuple[Account, Element] | None:
        """Make ``account_id`` the session's account, posting a switch only if it is not.

        A switch is confirmed by the collection page (returned) before any of the
        account's data is read: never read another account's data. A look, which reads
        only a count, passes ``confirm=False``: its switch is confirmed by the read
        that follows, if one does. None: nothing was confirmed now (the account was the
        active one already, or ``confirm`` is False).
        """
        if all(account.id != account_id for account in self.accounts.accounts):
            raise UnknownAccountError(account_id)
        if self.active != account_id:
            await self._post_switch(account_id)
            return await self._confirm(account_id) if confirm else None
        if self.unconfirmed and confirm:
            return await self._checked(account_id)
        return None

    async def account_page(self, account_id: int) -> tuple[Account, Element]:
        """Return the account and its collection page (its waste types), switching if need be."""
        if (opened := await self.open_account(account_id)) is not None:
            return opened
        return await self._checked(account_id)

    async def _checked(self, account_id: int) -> tuple[Account, Element]:
        """Read the collection page of the active account; switch back if it is another."""
        account, page, shown = await self._collection(account_id)
        if shown == account_id:
            self.unconfirmed = False
            return account, page
        self.active = shown  # the portal moved the session to another account
        await self._post_switch(account_id)
        return await self._confirm(account_id)

    async def _confirm(self, account_id: int) -> tuple[Account, Element]:
        account, page, shown = await self._collection(account_id)
        if shown != account_id:
            raise PortalChangedError(f"the portal did not switch to account {account_id}")
        self.active, self.unconfirmed = account_id, False
        return account, page

    async def _collection(self, account_id: int) -> tuple[Account, Element, int | None]:
        """Read the collection page: the account as it lists it, and the active account."""
        page = await self.get_page(portal.PATH_COLLECTION_PAGE)
        self.shape.page(shape.COLLECTION_PAGE, portal.PATH_COLLECTION_PAGE, page)
        self.shape.drop_down(page)
        accounts = parse_accounts(page)
        if not accounts.listed:  # a page without drop-down: the login's one account
            known = next(a for a in self.accounts.accounts if a.id == account_id)
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
        if not self.accounts.listed:
            raise UnknownAccountError(account_id)  # one account: nothing to switch to
        form = self.switch_form or default_switch_form()
        answer = await self.submit(form, str(account_id), follow_redirects=False)
        if answer.location:
            if portal.PATH_LOGIN.lower() in answer.location.lower():
                raise SessionExpiredError
        elif messages := error_messages(await self.check_page(answer)):
            raise UnknownAccountError(account_id, " ".join(messages))
        self.active, self.unconfirmed = account_id, True

    def _one_account(self, account: Account) -> AccountList:
        """Return the login's one account: numbered as known, labelled as its rows were."""
        if account.id == portal.UNNUMBERED_ACCOUNT_ID and self.unnumbered_id is not None:
            account = replace(account, id=self.unnumbered_id)
        if not account.label:
            account = replace(account, label=self.labels.get(account.id, ""))
        return AccountList(accounts=(account,), active_id=account.id, listed=False)

    def label_from_rows(self, account: Account, pickups: list[Pickup]) -> Account:
        """Name an account its pages do not name: by its rows' address, else the portal."""
        address = next((p.address for p in reversed(pickups) if p.address), None)
        label = address or self.labels.get(account.id) or f"Ecocito {self._portal_name}"
        if address:
            self.labels[account.id] = address
        return replace(account, label=label)

    async def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        """Send a request; a 5xx says what the portal's error page says."""
        try:
            return await self.http.request(method, path, **kwargs)
        except ServerError as err:
            raise await _server_error(err) from err

    async def get_page(self, path: str) -> Element:
        """Return a page of the session (its expiry noticed, its forms kept)."""
        return await self.check_page(await self.request("GET", path))

    async def submit(self, form: PageForm, value: str, *, follow_redirects: bool = True) -> Answer:
        """Send a page's form back with ``value`` in its field, as a browser would."""
        if form.method == "GET":
            params = {**form.query, **form.fill(value)}
            return await self.request(
                "GET", form.path, params=params, follow_redirects=follow_redirects
            )
        return await self.request(
            "POST",
            form.path,
            params=form.query or None,
            data=form.fill(value),
            follow_redirects=follow_redirects,
        )

    async def check_page(self, answer: Answer) -> Element:
        """Parse an HTML answer, noticing an expired session and keeping the token.

        A page whose drop-down selects an account says which one the session is on.
        """
        page = await parse_page(answer)
        if is_login_page(page):
            raise SessionExpiredError
        self._remember_forms(page)
        with contextlib.suppress(PortalChangedError):  # a drop-down not understood
            if (shown := parse_accounts(page)).listed:
                self.active = shown.active_id
        return page

    def _remember_forms(self, page: Element) -> None:
        """Keep the page's account switch form (its token changes with the session)."""
        path = self.http.last[1] if self.http.last else portal.PATH_HOME
        with contextlib.suppress(PortalChangedError):  # a form leading off the portal
            if (form := account_switch_form(page, path, str(self.http.base))) is not None:
                if self.switch_form is None or form.shape != self.switch_form.shape:
                    _LOGGER.debug("Account switch form: %s", form.shape)
                self.switch_form = form

    async def get_json(self, path: str, query: Mapping[str, str]) -> Any:
        """Return a JSON answer; a page instead is an expired session, a message or a change."""
        try:
            return await self.http.get_json(path, query)
        except ServerError as err:
            raise await _server_error(err) from err
        except NotJsonError as err:
            page = await parse_page(err.answer)
            if is_login_page(page):
                raise SessionExpiredError from None
            if messages := portal_messages(page):
                raise PortalConnectionError(f"{path}: {' '.join(messages)}") from None
            content_type = err.answer.content_type or "no content type"
            raise PortalChangedError(f"{path} answered {content_type}, not JSON") from None

    async def get_rows(
        self, path: str, query: Mapping[str, str], account_id: int, page_size: int, kind: str
    ) -> list[Mapping[str, Any]]:
        """Read every DevExtreme page of a data endpoint for an account: ``skip``, ``take``.

        At most ``MAX_PAGES`` pages; a page served twice in a row means the portal
        ignores ``skip`` and would be read forever. ``kind``: the kind of answer, whose
        shape is kept (``shape.py``).
        """
        rows: list[Mapping[str, Any]] = []
        previous: list[Mapping[str, Any]] = []
        for _page in range(portal.MAX_PAGES):
            page = {"skip": str(len(rows)), "take": str(page_size)}
            payload = await self.with_session(
                partial(self.get_json, path, {**query, **page}), account_id
            )
            self.shape.envelope(kind, payload)
            page_rows, total = parse_rows(payload, path)
            if page_rows and page_rows == previous:
                raise PortalChangedError(f"{path} served the same page twice (skip ignored)")
            rows.extend(page_rows)
            previous = page_rows
            more = len(rows) < total if total is not None else len(page_rows) >= page_size
            if not page_rows or not more:
                self.shape.rows(kind, rows)
                return rows
        raise PortalChangedError(f"{path} has more than {portal.MAX_PAGES} pages")


async def _server_error(err: ServerError) -> PortalConnectionError:
    """Return a 5xx as a temporary failure carrying what the portal's page says."""
    messages = portal_messages(await parse_page(err.answer), heading=True)
    return PortalConnectionError(f"{err}: {' '.join(messages)}" if messages else str(err))
