"""The simulated Ecocito portal: an aiohttp application over a `PortalState`.

It follows the portal contract, ``../shared/portal/SPEC.md`` from the repository's root.
Besides the portal's own pages and JSON endpoints, the simulator injects faults, latency
and session expiry, keeps a request log, and serves admin endpoints under `/_sim/`
(never logged, never faulted, never delayed).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
import functools
import json
import random
import secrets
import time
from typing import TYPE_CHECKING, Any, Literal, NoReturn
from urllib.parse import quote

from aiohttp import web

from . import pages
from .data import (
    DataQuery,
    QueryError,
    monthly_counts,
    page,
    parse_query,
    pickup_row,
    reshape,
    reshape_counts,
    visit_row,
)
from .pages import LayoutContext
from .scenarios import build_scenario

if TYPE_CHECKING:
    from .state import Account, PortalState

SESSION_COOKIE = "ASP.NET_SessionId"
ADMIN_PREFIX = "/_sim/"
HOME_PATH = "/Usager/Accueil"

COLLECTE_JSON = "/Usager/Collecte/GetCollecte"
APPORT_JSON = "/Usager/Apport/GetApport"
STATS_PICKUPS = "/Usager/Json/ObtenirStatistiqueLeveesMensuel"
STATS_DROP_OFFS = "/Usager/Json/ObtenirStatistiqueApportPAVMensuel"
DATA_JSON_PATHS = frozenset({COLLECTE_JSON, APPORT_JSON, STATS_PICKUPS, STATS_DROP_OFFS})

ERROR_BAD_LOGIN = "Identifiant ou mot de passe incorrect."
ERROR_NOT_LINKED = "Ce compte n'est pas associé à votre identifiant."
ERROR_BAD_COMMUNE = "La commune sélectionnée est inconnue ou n'est pas desservie par ce portail."
ERROR_BAD_KEY = "La clé d'activation est invalide."
ERROR_KEY_OTHER_COMMUNE = "Cette clé d'activation ne correspond pas à la commune sélectionnée."
ERROR_KEY_USED = "Cette clé d'activation a déjà été utilisée."
MAINTENANCE_MESSAGE = "Le portail est en maintenance : merci de réessayer dans quelques minutes."

GARBAGE_JSON = '{"data": [{"DATE_DONNEE": "2026-03-04T06:4'

_MARKUP_CHANGED = "ecocito_sim_markup_changed"
_IGNORE_SKIP = "ecocito_sim_ignore_skip"
_RESHAPE = "ecocito_sim_reshape"
_HIDDEN_ACCOUNT = "ecocito_sim_hidden_account"
_NO_ACCOUNTS = "ecocito_sim_no_accounts"
_SWITCH_REFUSED = "ecocito_sim_switch_refused"
_ROWS_KEPT = "ecocito_sim_rows_kept"
_ACCOUNT = "ecocito_sim_account_id"

ExpiredSessionMode = Literal["page", "redirect"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FaultKind(StrEnum):
    """Failure shapes from the SPEC's table (wrong password etc. are state changes).

    The kinds after SESSION_EXPIRED are hostile or broken answers beyond the SPEC's
    table (issue 11); random faults never draw them unless asked to.
    """

    SERVER_ERROR = "server_error"
    SLOW = "slow"
    GARBAGE = "garbage"
    HTML_INSTEAD_OF_JSON = "html_instead_of_json"
    MARKUP_CHANGED = "markup_changed"
    RATE_LIMITED = "rate_limited"
    DISCONNECT = "disconnect"
    SESSION_EXPIRED = "session_expired"
    REDIRECT = "redirect"
    """Answer ``status`` (a 3xx, else 307) to ``location`` + the request's path."""
    IGNORE_SKIP = "ignore_skip"
    """Data endpoints serve the first page whatever ``skip`` says, and a wrong total."""
    HUGE_BODY = "huge_body"
    """The real answer behind ``size`` bytes of blanks, streamed without a length."""
    DEEP_NESTING = "deep_nesting"
    """HTML wrapped in ``depth`` nested ``<div>``; JSON gains an array that deep."""
    LOGIN_PAGE = "login_page"
    """The login page without any message, the session left as it was."""
    PORTAL_MESSAGE = "portal_message"
    """A 200 page carrying the portal's own message in ``div.error`` (a maintenance)."""
    # Glitches of a portal that answers, but wrongly (issue 11): the page is fine,
    # its content is not. Only ever injected on purpose (not among random faults).
    ACCOUNT_HIDDEN = "account_hidden"
    """The account drop-down leaves out `account_id` (the first account if None)."""
    NO_ACCOUNTS = "no_accounts"
    """The account drop-down lists no account at all."""
    SWITCH_REFUSED = "switch_refused"
    """The account switch is refused with the "not linked" validation message."""
    SHORT_TABLE = "short_table"
    """A pickups/visits table keeps only its oldest `keep` share of rows (0: empty)."""


SPEC_FAULT_KINDS = tuple(FaultKind)[: tuple(FaultKind).index(FaultKind.SESSION_EXPIRED) + 1]
"""The failure shapes of the SPEC's table: what random faults draw by default."""

_GLITCHES = frozenset(
    {
        FaultKind.ACCOUNT_HIDDEN,
        FaultKind.NO_ACCOUNTS,
        FaultKind.SWITCH_REFUSED,
        FaultKind.SHORT_TABLE,
    }
)


@dataclass
class Fault:
    """A fault injected into matching requests.

    `path`: exact request path (None: every non-admin path). `count`: how many
    requests it hits before removing itself (None: until cleared).
    """

    kind: FaultKind
    path: str | None = None
    count: int | None = None
    status: int = 500
    retry_after: float | str = 60
    """Seconds, ``inf`` or an HTTP date: sent as the Retry-After header."""
    delay: float = 10.0
    location: str = ""
    """REDIRECT: the address before the request's path, e.g. another site's origin."""
    size: int = 8 * 2**20
    depth: int = 990
    account_id: int | None = None
    keep: float = 0.5


@dataclass
class RequestRecord:
    """One non-admin request. `status` 0: no answer (connection dropped/cancelled).

    `account_id`: the session's active account when answering (None: no session).
    `at`: `PortalSimulator.clock()` when the request arrived (monotonic seconds).
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    account_id: int | None
    at: float
    size: int = 0
    """Bytes of the answer's body (0: streamed, or none)."""


@dataclass
class Session:
    """Server-side session behind the `ASP.NET_SessionId` cookie."""

    id: str
    email: str
    generation: int
    active_id: int | None
    token: str
    last_used: float
    commune_id: int | None = None  # wizard: commune chosen in step 1


@dataclass
class _RandomFaults:
    rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    kinds: tuple[FaultKind, ...] = SPEC_FAULT_KINDS
    slow_delay: float = 10.0
    retry_after: int = 60


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _json(request: web.Request, payload: Any) -> web.Response:
    """JSON answer; with MARKUP_CHANGED the `data` key (or the bare list) is renamed."""
    if request.get(_MARKUP_CHANGED):
        if isinstance(payload, dict) and "data" in payload:
            payload = {("items" if k == "data" else k): v for k, v in payload.items()}
        elif isinstance(payload, list):
            payload = {"items": payload}
    return web.Response(
        text=json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
        charset="utf-8",
    )


def _data_page(
    request: web.Request, rows: list[dict[str, Any]], query: DataQuery
) -> dict[str, Any]:
    """One DevExtreme page; with IGNORE_SKIP, always the first one and a wrong total."""
    if not request.get(_IGNORE_SKIP):
        return page(rows, query)
    answer = page(rows, replace(query, skip=0))
    answer["totalCount"] = len(rows) * 10 + 1000
    return answer


def _nested(response: web.Response, depth: int) -> web.Response:
    """The same answer, its HTML ``depth`` elements deep (JSON: an array that deep)."""
    text = response.text or ""
    if response.content_type != "application/json":
        body = "<div>" * depth + text + "</div>" * depth
    elif text.startswith("{"):  # an envelope: its keys stay where clients look for them
        body = f'{{"nested": {"[" * depth}{"]" * depth}, {text[1:]}'
    else:
        return response
    return web.Response(
        text=body, status=response.status, content_type=response.content_type, charset="utf-8"
    )


async def _padded(request: web.Request, response: web.Response, size: int) -> web.StreamResponse:
    """The same answer behind ``size`` bytes of blanks, streamed with no Content-Length."""
    stream = web.StreamResponse(status=response.status)
    stream.content_type = response.content_type
    stream.charset = "utf-8"
    stream.enable_chunked_encoding()
    await stream.prepare(request)
    chunk = b" " * 2**16
    try:
        for _ in range(size // len(chunk)):
            await stream.write(chunk)
        await stream.write(b" " * (size % len(chunk)) + (response.text or "").encode())
        await stream.write_eof()
    except (ConnectionResetError, ConnectionError):
        pass  # the client stopped reading
    return stream


def _retry_key(request: web.Request) -> tuple[str, str, str]:
    return (request.method, request.path_qs, request.cookies.get(SESSION_COOKIE, ""))


def _mark_glitch(request: web.Request, fault: Fault) -> None:
    """Tell the handler which glitch to serve (it draws the page, wrongly)."""
    match fault.kind:
        case FaultKind.ACCOUNT_HIDDEN:
            request[_HIDDEN_ACCOUNT] = fault.account_id
        case FaultKind.NO_ACCOUNTS:
            request[_NO_ACCOUNTS] = True
        case FaultKind.SWITCH_REFUSED:
            request[_SWITCH_REFUSED] = True
        case FaultKind.SHORT_TABLE:
            request[_ROWS_KEPT] = fault.keep


def _kept(request: web.Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows a SHORT_TABLE fault leaves (the oldest ones), else every row."""
    keep = request.get(_ROWS_KEPT)
    return rows if keep is None else rows[: int(len(rows) * keep)]


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


def _form_text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _parse_int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


type _SessionHandler = Callable[[PortalSimulator, web.Request, Session], Awaitable[web.Response]]


def _authenticated(
    handler: _SessionHandler,
) -> Callable[[PortalSimulator, web.Request], Awaitable[web.Response]]:
    """Serve ``handler`` with the request's live session, or answer as an expired one."""

    @functools.wraps(handler)
    async def serve(self: PortalSimulator, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None:
            return self._login_required(request)
        return await handler(self, request, session)

    return serve


class PortalSimulator:
    """The simulated portal: state, aiohttp app, sessions, faults and request log."""

    def __init__(self, state: PortalState) -> None:
        self.state = state
        self.latency: float = 0.0
        self.session_lifetime: float | None = 1200.0  # ASP.NET's default 20 minutes
        self.expired_session_mode: ExpiredSessionMode = "page"
        self.max_take: int | None = None
        self.clock: Callable[[], float] = time.monotonic
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self._random = _RandomFaults()
        self._sessions: dict[str, Session] = {}
        # aiohttp clients silently retry an idempotent request once when the server
        # drops the connection; a DISCONNECT hit drops that retry too, so that one
        # hit is one connection error seen by the client. Key -> deadline.
        self._dropped: dict[tuple[str, str, str], float] = {}
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self.app = self._build_app()

    @classmethod
    def from_scenario(cls, name: str, now: datetime | None = None) -> PortalSimulator:
        return cls(build_scenario(name, now))

    # -- lifecycle ------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._base_url = f"http://{bound_host}:{bound_port}"
        return self._base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._base_url = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("simulator not started")
        return self._base_url

    # -- test controls --------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear_faults(self) -> None:
        """Remove every fault, random faults included."""
        self.faults.clear()
        self._random.rate = 0.0

    def set_random_faults(
        self,
        rate: float,
        seed: int | None = None,
        kinds: list[FaultKind] | None = None,
        *,
        slow_delay: float = 10.0,
        retry_after: int = 60,
    ) -> None:
        """Give each non-admin request a random fault with probability `rate`."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._random = _RandomFaults(
            rate=rate,
            rng=random.Random(seed),  # noqa: S311 - reproducible faults, not crypto
            kinds=tuple(kinds) if kinds else SPEC_FAULT_KINDS,
            slow_delay=slow_delay,
            retry_after=retry_after,
        )

    def expire_sessions(self) -> None:
        self._sessions.clear()

    def session_count(self) -> int:
        """How many portal sessions are open (logged in and not logged out)."""
        return len(self._sessions)

    def count(self, path: str | None = None, method: str | None = None) -> int:
        return sum(
            1
            for record in self.requests
            if (path is None or record.path == path)
            and (method is None or record.method == method.upper())
        )

    def reset_requests(self) -> None:
        self.requests.clear()

    # -- application ----------------------------------------------------------

    @property
    def json_paths(self) -> frozenset[str]:
        """The paths that answer JSON (the commune search's follows the state's names)."""
        return DATA_JSON_PATHS | {self.state.names.search_path}

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        get, post = web.get, web.post
        names = self.state.names
        app.add_routes(
            [
                get("/", self._login_form),
                get(pages.LOGIN_PATH, self._login_form),
                post(pages.LOGIN_PATH, self._login),
                get("/Usager/Profil/Deconnexion", self._logout),
                get(pages.SIGNUP_PATH, self._signup),
                get(HOME_PATH, self._home),
                get("/Usager/Profil", self._profile),
                get("/Usager/Collecte", self._collecte_page),
                get(COLLECTE_JSON, self._get_collecte),
                get("/Usager/Apport", self._apport_page),
                get(APPORT_JSON, self._get_apport),
                # The modelled parts: answered 404 by a portal whose style leaves them out.
                web.route(
                    names.switch_method.upper(),
                    names.switch_path,
                    self._modelled("drop_down", self._switch_account),
                ),
                get(STATS_PICKUPS, self._modelled("stats", self._stats_pickups)),
                get(STATS_DROP_OFFS, self._modelled("stats", self._stats_drop_offs)),
                get(pages.WIZARD_PATH, self._modelled("wizard", self._wizard_start)),
                get(names.search_path, self._modelled("wizard", self._search_communes)),
                post(names.wizard_commune_path, self._modelled("wizard", self._wizard_commune)),
                post(names.wizard_key_path, self._modelled("wizard", self._wizard_key)),
                *self._admin_routes(),
            ]
        )
        return app

    def _modelled(self, part: str, handler: Handler) -> Handler:
        """Serve a modelled part, or answer 404 when the portal's style leaves it out."""

        async def serve(request: web.Request) -> web.StreamResponse:
            style = self.state.style
            shown = style.stats != "missing" if part == "stats" else getattr(style, part)
            if not shown:
                raise web.HTTPNotFound
            return await handler(request)

        return serve

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        peek = self._sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        record = RequestRecord(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            status=0,
            account_id=peek.active_id if peek else None,
            at=self.clock(),
        )
        self.requests.append(record)
        try:
            response = await self._serve(request, handler)
        except web.HTTPException as exc:  # e.g. the router's 404/405
            record.status = exc.status
            raise
        record.status = response.status
        record.account_id = request.get(_ACCOUNT, record.account_id)
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            record.size = len(response.body)
        return response

    async def _serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if self._dropped.pop(_retry_key(request), 0.0) > self.clock():
            self._disconnect(request)
        fault = self._next_fault(request.path)
        if fault is not None:
            early = (
                await self._apply_fault(request, fault)
                if fault.kind in SPEC_FAULT_KINDS
                else self._apply_hostile_fault(request, fault)
            )
            if early is not None:
                return early
        response = await handler(request)
        reshape: Fault | None = request.get(_RESHAPE)
        if reshape is None or not isinstance(response, web.Response) or response.text is None:
            return response
        if reshape.kind is FaultKind.DEEP_NESTING:
            return _nested(response, reshape.depth)
        return await _padded(request, response, reshape.size)

    def _next_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path is None or fault.path == path:
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                return fault
        rnd = self._random
        if rnd.rate > 0 and rnd.rng.random() < rnd.rate:
            kind = rnd.rng.choice(rnd.kinds)
            return Fault(
                kind=kind,
                status=rnd.rng.choice((500, 503)),
                retry_after=rnd.retry_after,
                delay=rnd.slow_delay,
            )
        return None

    async def _apply_fault(self, request: web.Request, fault: Fault) -> web.Response | None:
        """Answer in place of the portal, or prepare the request and return None."""
        wants_json = request.path in self.json_paths
        match fault.kind:
            case FaultKind.SERVER_ERROR:
                return _html(pages.error_page(fault.status), status=fault.status)
            case FaultKind.RATE_LIMITED:
                response = _html(pages.TOO_MANY_REQUESTS, status=429)
                response.headers["Retry-After"] = str(fault.retry_after)
                return response
            case FaultKind.GARBAGE:
                if wants_json:
                    return web.Response(
                        text=GARBAGE_JSON, content_type="application/json", charset="utf-8"
                    )
                return _html(pages.GARBAGE_HTML)
            case FaultKind.HTML_INSTEAD_OF_JSON:
                return _html(pages.HTML_ERROR_PAGE)
            case FaultKind.DISCONNECT:
                self._dropped[_retry_key(request)] = self.clock() + 5.0
                self._disconnect(request)
            case FaultKind.SLOW:
                await asyncio.sleep(fault.delay)
            case FaultKind.SESSION_EXPIRED:
                self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
            case FaultKind.MARKUP_CHANGED:
                request[_MARKUP_CHANGED] = True
        return None

    @staticmethod
    def _apply_hostile_fault(request: web.Request, fault: Fault) -> web.Response | None:
        """The faults beyond the SPEC's table (see FaultKind): hostile answers and glitches."""
        match fault.kind:
            case FaultKind.REDIRECT:
                status = fault.status if 300 <= fault.status < 400 else 307
                return web.Response(
                    status=status, headers={"Location": fault.location + request.path_qs}
                )
            case FaultKind.IGNORE_SKIP:
                request[_IGNORE_SKIP] = True
            case FaultKind.HUGE_BODY | FaultKind.DEEP_NESTING:
                request[_RESHAPE] = fault
            case FaultKind.LOGIN_PAGE:
                return _html(pages.login_page())
            case FaultKind.PORTAL_MESSAGE:
                return _html(pages.message_page(MAINTENANCE_MESSAGE))
            case _ if fault.kind in _GLITCHES:
                _mark_glitch(request, fault)
        return None

    @staticmethod
    def _disconnect(request: web.Request) -> NoReturn:
        """Close the connection without answering."""
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError  # aiohttp then drops the request silently

    # -- sessions -------------------------------------------------------------

    def _session(self, request: web.Request) -> Session | None:
        """The live session of this request (touching it), or None."""
        session_id = request.cookies.get(SESSION_COOKIE, "")
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self.clock()
        login = self.state.find_login(session.email)
        expired = (
            self.session_lifetime is not None and now - session.last_used > self.session_lifetime
        )
        if expired or login is None or login.generation != session.generation:
            del self._sessions[session_id]
            return None
        session.last_used = now
        if session.active_id not in login.account_ids:  # unlinked behind our back
            session.active_id = login.account_ids[0] if login.account_ids else None
        request[_ACCOUNT] = session.active_id
        return session

    def _login_required(self, request: web.Request) -> web.Response:
        if self.expired_session_mode == "redirect":
            return_url = quote(request.path_qs, safe="")
            return _redirect(f"{pages.LOGIN_PATH}?ReturnUrl={return_url}")
        return _html(pages.login_page())

    def _context(self, request: web.Request, session: Session) -> LayoutContext:
        accounts = self.state.linked_accounts(session.email)
        if request.get(_NO_ACCOUNTS):
            accounts = []
        elif _HIDDEN_ACCOUNT in request and accounts:
            hidden = request[_HIDDEN_ACCOUNT]
            hidden = accounts[0].id if hidden is None else hidden
            accounts = [account for account in accounts if account.id != hidden]
        return LayoutContext(
            email=session.email,
            accounts=accounts,
            active_id=session.active_id,
            token=session.token,
            markup_changed=bool(request.get(_MARKUP_CHANGED)),
            names=self.state.names,
            style=self.state.style,
        )

    def _active_account(self, session: Session) -> Account | None:
        if session.active_id is None:
            return None
        return self.state.accounts.get(session.active_id)

    # -- login ----------------------------------------------------------------

    async def _login_form(self, request: web.Request) -> web.Response:
        return _html(pages.login_page())

    async def _signup(self, request: web.Request) -> web.Response:
        return _html(pages.signup_page())

    async def _login(self, request: web.Request) -> web.Response:
        form = await request.post()
        login = self.state.find_login(_form_text(form, "Identifiant"))
        if login is None or login.password != _form_text(form, "MotDePasse"):
            return _html(pages.login_page([ERROR_BAD_LOGIN]))
        self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        session = Session(
            id=secrets.token_hex(12),
            email=login.email,
            generation=login.generation,
            active_id=login.account_ids[0] if login.account_ids else None,
            token=secrets.token_urlsafe(32),
            last_used=self.clock(),
        )
        self._sessions[session.id] = session
        request[_ACCOUNT] = session.active_id
        response = _redirect(HOME_PATH)
        response.set_cookie(SESSION_COOKIE, session.id, path="/", httponly=True, samesite="Lax")
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        return _redirect(pages.LOGIN_PATH)

    # -- pages ----------------------------------------------------------------

    @_authenticated
    async def _home(self, request: web.Request, session: Session) -> web.Response:
        return _html(pages.home_page(self._context(request, session)))

    @_authenticated
    async def _profile(self, request: web.Request, session: Session) -> web.Response:
        return _html(pages.profile_page(self._context(request, session)))

    @_authenticated
    async def _collecte_page(self, request: web.Request, session: Session) -> web.Response:
        account = self._active_account(session)
        waste_types = account.waste_types if account else {}
        return _html(pages.collecte_page(self._context(request, session), waste_types))

    @_authenticated
    async def _apport_page(self, request: web.Request, session: Session) -> web.Response:
        return _html(pages.apport_page(self._context(request, session)))

    @_authenticated
    async def _switch_account(self, request: web.Request, session: Session) -> web.Response:
        form = request.query if request.method == "GET" else await request.post()
        names = self.state.names
        if _form_text(form, names.token_field) != session.token:
            return _html(pages.error_page(400), status=400)
        login = self.state.get_login(session.email)
        account_id = _parse_int(_form_text(form, names.account_field))
        if (
            account_id is None
            or account_id not in login.account_ids
            or request.get(_SWITCH_REFUSED)
        ):
            context = self._context(request, session)
            return _html(pages.home_page(context, errors=[ERROR_NOT_LINKED]))
        session.active_id = account_id
        request[_ACCOUNT] = account_id
        return _redirect(HOME_PATH)

    # -- JSON data ------------------------------------------------------------

    @_authenticated
    async def _get_collecte(self, request: web.Request, session: Session) -> web.Response:
        try:
            query = parse_query(request.query, self.max_take)
        except QueryError as err:
            return _html(pages.error_page(400) + f"<!-- {err} -->", status=400)
        account = self._active_account(session)
        style = self.state.style
        rows = (
            [
                pickup_row(account, pickup, typed=style.typed_rows)
                for pickup in account.pickups
                if (query.type_id in (-1, pickup.type_id) or not style.filters_types)
                and query.keeps(pickup.when)
                and self.state.is_published(pickup)
            ]
            if account
            else []
        )
        return self._rows_answer(request, "pickups", rows, query)

    def _rows_answer(
        self, request: web.Request, kind: str, rows: list[dict[str, Any]], query: DataQuery
    ) -> web.Response:
        """One page of rows, its rows and envelope in the keys the state asks for, if any."""
        keys = self.state.answer_keys
        if (row_keys := keys.get(f"{kind}.rows")) is not None:
            rows = [reshape(row, row_keys) for row in rows]
        answer = _data_page(request, _kept(request, rows), query)
        if (envelope := keys.get(f"{kind}.envelope")) is not None:
            answer = reshape(answer, envelope)
        return _json(request, answer)

    @_authenticated
    async def _get_apport(self, request: web.Request, session: Session) -> web.Response:
        # Visits are not typed by waste-type id: `idMatiere` does not filter them.
        try:
            query = parse_query(request.query, self.max_take)
        except QueryError as err:
            return _html(pages.error_page(400) + f"<!-- {err} -->", status=400)
        account = self._active_account(session)
        rows = (
            [visit_row(account, visit) for visit in account.visits if query.keeps(visit.when)]
            if account
            else []
        )
        return self._rows_answer(request, "visits", rows, query)

    @staticmethod
    def _stats_query(request: web.Request) -> DataQuery | web.Response:
        try:
            return parse_query(request.query)
        except QueryError as err:
            return _html(pages.error_page(400) + f"<!-- {err} -->", status=400)

    @_authenticated
    async def _stats_pickups(self, request: web.Request, session: Session) -> web.Response:
        query = self._stats_query(request)
        if isinstance(query, web.Response):
            return query
        account = self._active_account(session)
        moments = [
            p.when
            for p in (account.pickups if account else [])
            if query.type_id in (-1, p.type_id) and self.state.is_published(p)
        ]
        return _json(
            request,
            reshape_counts(monthly_counts(moments, query.start, query.end), self.state.style.stats),
        )

    @_authenticated
    async def _stats_drop_offs(self, request: web.Request, session: Session) -> web.Response:
        """Borne openings per month; ``[]`` for an account that has no borne."""
        query = self._stats_query(request)
        if isinstance(query, web.Response):
            return query
        account = self._active_account(session)
        if account is None or not account.drop_offs:
            return _json(request, [])
        moments = [d.when for d in account.drop_offs if query.type_id in (-1, d.type_id)]
        shape = self.state.style.stats
        months = monthly_counts(
            moments,
            query.start,
            query.end,
            skip_empty=self.state.stats_skip_empty_months and shape == "modelled",
        )
        return _json(request, reshape_counts(months, shape))

    # -- association wizard (modelled) ----------------------------------------

    def _wizard_post_valid(self, form: Any, session: Session, step: int) -> bool:
        """The form carries the session's token, and the step when the portal wants it."""
        names = self.state.names
        return _form_text(form, names.token_field) == session.token and (
            names.step_field is None or _form_text(form, names.step_field) == str(step)
        )

    @_authenticated
    async def _wizard_start(self, request: web.Request, session: Session) -> web.Response:
        return _html(pages.wizard_commune_page(self._context(request, session)))

    @_authenticated
    async def _search_communes(self, request: web.Request, session: Session) -> web.Response:
        found = self.state.search_communes(request.query.get("term", ""))
        return _json(
            request,
            [{"Id": c.id, "Libelle": c.name, "CodePostal": c.postal_code} for c in found],
        )

    @_authenticated
    async def _wizard_commune(self, request: web.Request, session: Session) -> web.Response:
        form = await request.post()
        if not self._wizard_post_valid(form, session, step=1):
            return _html(pages.error_page(400), status=400)
        commune_id = _parse_int(_form_text(form, self.state.names.commune_id_field))
        commune = self.state.communes.get(commune_id) if commune_id is not None else None
        context = self._context(request, session)
        if commune is None or not commune.served:
            session.commune_id = None
            return _html(pages.wizard_commune_page(context, errors=[ERROR_BAD_COMMUNE]))
        session.commune_id = commune.id
        return _html(pages.wizard_key_page(context, commune))

    @_authenticated
    async def _wizard_key(self, request: web.Request, session: Session) -> web.Response:
        form = await request.post()
        if not self._wizard_post_valid(form, session, step=2):
            return _html(pages.error_page(400), status=400)
        commune = (
            self.state.communes.get(session.commune_id) if session.commune_id is not None else None
        )
        if commune is None:
            return _html(pages.wizard_commune_page(self._context(request, session)))
        account = self.state.account_by_key(_form_text(form, self.state.names.key_field))
        error = None
        if account is None:
            error = ERROR_BAD_KEY
        elif account.commune_id != commune.id:
            error = ERROR_KEY_OTHER_COMMUNE
        elif self.state.is_linked(account.id):
            error = ERROR_KEY_USED
        if error is not None or account is None:
            context = self._context(request, session)
            return _html(pages.wizard_key_page(context, commune, errors=[error or ERROR_BAD_KEY]))
        self.state.link(session.email, account.id)
        session.active_id = account.id
        session.commune_id = None
        request[_ACCOUNT] = account.id
        return _html(pages.wizard_done_page(self._context(request, session)))

    # -- admin (/_sim/) -------------------------------------------------------

    def _admin_routes(self) -> list[web.RouteDef]:
        return [
            web.get("/_sim/state", self._admin_state),
            web.get("/_sim/accounts/{id}/years", self._admin_years),
            web.get("/_sim/requests", self._admin_requests),
            web.post("/_sim/requests/reset", self._admin_reset_requests),
            web.post("/_sim/faults", self._admin_add_fault),
            web.delete("/_sim/faults", self._admin_clear_faults),
            web.post("/_sim/random_faults", self._admin_random_faults),
            web.post("/_sim/latency", self._admin_latency),
            web.post("/_sim/session_lifetime", self._admin_session_lifetime),
            web.post("/_sim/sessions/expire", self._admin_expire_sessions),
            web.post("/_sim/expired_session_mode", self._admin_expired_mode),
            web.post("/_sim/max_take", self._admin_max_take),
            web.post("/_sim/logins/{email}/password", self._admin_password),
            web.post("/_sim/accounts/{id}/link", self._admin_link),
            web.post("/_sim/accounts/{id}/unlink", self._admin_unlink),
            web.post("/_sim/accounts/{id}/pickups", self._admin_add_pickup),
            web.post("/_sim/accounts/{id}/pickups_to_check", self._admin_add_pickups_to_check),
            web.post("/_sim/accounts/{id}/visits", self._admin_add_visit),
            web.post("/_sim/accounts/{id}/drop_offs", self._admin_add_drop_off),
        ]

    async def _admin_state(self, request: web.Request) -> web.Response:
        state = self.state
        return web.json_response(
            {
                "logins": [
                    {
                        "email": login.email,
                        "accounts": [
                            {"id": a.id, "label": a.label}
                            for a in state.linked_accounts(login.email)
                        ],
                        "account_ids": list(login.account_ids),
                    }
                    for login in state.logins.values()
                ],
                "accounts": [
                    {
                        "id": a.id,
                        "label": a.label,
                        "commune_id": a.commune_id,
                        "commune": state.communes[a.commune_id].name,
                        "key_used": state.is_linked(a.id),
                        "linked_to": [login.email for login in state.logins_of_account(a.id)],
                        "waste_types": {str(k): v for k, v in a.waste_types.items()},
                        "pickups": len(a.pickups),
                        "visits": len(a.visits),
                        "drop_offs": len(a.drop_offs),
                    }
                    for a in state.accounts.values()
                ],
                "communes": len(state.communes),
                "sessions": len(self._sessions),
                "faults": [asdict(fault) for fault in self.faults],
                "random_fault_rate": self._random.rate,
                "latency": self.latency,
                "session_lifetime": self.session_lifetime,
                "expired_session_mode": self.expired_session_mode,
                "max_take": self.max_take,
            }
        )

    async def _admin_years(self, request: web.Request) -> web.Response:
        """One account's figures per year (portal time): pickups per type, visits, drop-offs.

        ``?address=``: the pickups of the rows carrying that address of their own only
        (empty: those of the account's own address); ``addresses`` lists them.
        """
        try:
            account = self.state.get_account(_path_id(request))
        except KeyError as err:
            raise _not_found(str(err)) from err
        if "addresses" in request.query:
            return web.json_response(sorted({p.address for p in account.pickups if p.address}))
        address = request.query.get("address")
        years: dict[str, dict[str, Any]] = {}

        def year_of(when: datetime) -> dict[str, Any]:
            empty = {"pickups": {}, "visits": {"count": 0, "last": None}, "drop_offs": {}}
            return years.setdefault(str(when.year), empty)

        for pickup in account.pickups:  # oldest first: "last" ends on the latest
            if address is not None and (pickup.address or "") != address:
                continue
            figures = year_of(pickup.when)["pickups"].setdefault(
                str(pickup.type_id), {"count": 0, "weight": 0.0, "last": None, "last_weight": None}
            )
            figures["count"] += 1
            figures["weight"] += pickup.weight or 0.0
            figures["last"] = pickup.when.isoformat()
            figures["last_weight"] = pickup.weight
        for visit in account.visits:
            figures = year_of(visit.when)["visits"]
            figures["count"] += 1
            figures["last"] = visit.when.isoformat()
        for drop_off in account.drop_offs:
            months = year_of(drop_off.when)["drop_offs"].setdefault(str(drop_off.type_id), {})
            month = str(drop_off.when.month)
            months[month] = months.get(month, 0) + 1
        return web.json_response(years)

    async def _admin_requests(self, request: web.Request) -> web.Response:
        by_path = Counter(record.path for record in self.requests)
        return web.json_response({"total": len(self.requests), "by_path": dict(by_path)})

    async def _admin_reset_requests(self, request: web.Request) -> web.Response:
        self.reset_requests()
        return web.json_response({"ok": True})

    async def _admin_add_fault(self, request: web.Request) -> web.Response:
        body = await _admin_body(request)
        try:
            fault = Fault(
                kind=FaultKind(body["kind"]),
                path=body.get("path"),
                count=body.get("count"),
                status=int(body.get("status", 500)),
                retry_after=_retry_after(body.get("retry_after", 60)),
                delay=float(body.get("delay", 10.0)),
                location=str(body.get("location", "")),
                size=int(body.get("size", 8 * 2**20)),
                depth=int(body.get("depth", 990)),
                account_id=body.get("account_id"),
                keep=float(body.get("keep", 0.5)),
            )
        except (KeyError, ValueError, TypeError) as err:
            raise _bad_request(f"bad fault: {err}") from err
        self.add_fault(fault)
        return web.json_response({"faults": [asdict(f) for f in self.faults]})

    async def _admin_clear_faults(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return web.json_response({"faults": []})

    async def _admin_random_faults(self, request: web.Request) -> web.Response:
        body = await _admin_body(request)
        try:
            kinds = [FaultKind(kind) for kind in body["kinds"]] if body.get("kinds") else None
            self.set_random_faults(
                float(body.get("rate", 0.0)),
                seed=body.get("seed"),
                kinds=kinds,
                slow_delay=float(body.get("slow_delay", 10.0)),
                retry_after=int(body.get("retry_after", 60)),
            )
        except (ValueError, TypeError) as err:
            raise _bad_request(str(err)) from err
        return web.json_response({"rate": self._random.rate})

    async def _admin_latency(self, request: web.Request) -> web.Response:
        self.latency = _number(await _admin_body(request), "seconds") or 0.0
        return web.json_response({"latency": self.latency})

    async def _admin_session_lifetime(self, request: web.Request) -> web.Response:
        self.session_lifetime = _number(await _admin_body(request), "seconds")
        return web.json_response({"session_lifetime": self.session_lifetime})

    async def _admin_expire_sessions(self, request: web.Request) -> web.Response:
        self.expire_sessions()
        return web.json_response({"ok": True})

    async def _admin_expired_mode(self, request: web.Request) -> web.Response:
        mode = (await _admin_body(request)).get("mode")
        if mode not in ("page", "redirect"):
            raise _bad_request("mode must be 'page' or 'redirect'")
        self.expired_session_mode = mode
        return web.json_response({"expired_session_mode": mode})

    async def _admin_max_take(self, request: web.Request) -> web.Response:
        value = _number(await _admin_body(request), "take")
        self.max_take = None if value is None else int(value)
        return web.json_response({"max_take": self.max_take})

    async def _admin_password(self, request: web.Request) -> web.Response:
        body = await _admin_body(request)
        password = body.get("password")
        if not isinstance(password, str):
            raise _bad_request("password must be a string")
        try:
            self.state.set_password(request.match_info["email"], password)
        except KeyError as err:
            raise _not_found(str(err)) from err
        return web.json_response({"ok": True})

    async def _admin_link(self, request: web.Request) -> web.Response:
        return await self._admin_link_change(request, link=True)

    async def _admin_unlink(self, request: web.Request) -> web.Response:
        return await self._admin_link_change(request, link=False)

    async def _admin_link_change(self, request: web.Request, link: bool) -> web.Response:
        account_id = _path_id(request)
        email = (await _admin_body(request)).get("login")
        if not isinstance(email, str):
            raise _bad_request("login must be an e-mail address")
        try:
            if link:
                self.state.link(email, account_id)
            else:
                self.state.unlink(email, account_id)
            account_ids = self.state.get_login(email).account_ids
        except KeyError as err:
            raise _not_found(str(err)) from err
        return web.json_response({"login": email, "account_ids": list(account_ids)})

    async def _admin_add_pickup(self, request: web.Request) -> web.Response:
        account_id = _path_id(request)
        body = await _admin_body(request)
        try:
            type_id = int(body["type_id"])
            when = datetime.fromisoformat(body["date"])
            weight = None if body.get("weight") is None else float(body["weight"])
        except (KeyError, ValueError, TypeError) as err:
            raise _bad_request(f"bad pickup: {err!r}") from err
        try:
            pickup = self.state.add_pickup(
                account_id,
                type_id,
                when,
                weight,
                weight_text=bool(body.get("weight_text", False)),
                bin_number=None if body.get("bin_number") is None else str(body["bin_number"]),
                address=None if body.get("address") is None else str(body["address"]),
            )
        except KeyError as err:
            raise _not_found(str(err)) from err
        except ValueError as err:
            raise _bad_request(str(err)) from err
        return web.json_response({"id": pickup.id})

    async def _admin_add_pickups_to_check(self, request: web.Request) -> web.Response:
        account_id = _path_id(request)
        body = await _admin_body(request)
        try:
            type_id = int(body["type_id"])
            when = datetime.fromisoformat(body["date"])
            reason = str(body["reason"])
        except (KeyError, ValueError, TypeError) as err:
            raise _bad_request(f"bad pickups to check: {err!r}") from err
        try:
            pickups = self.state.add_pickups_to_check(account_id, type_id, when, reason)
        except KeyError as err:
            raise _not_found(str(err)) from err
        except ValueError as err:
            raise _bad_request(str(err)) from err
        return web.json_response({"ids": [pickup.id for pickup in pickups]})

    async def _admin_add_drop_off(self, request: web.Request) -> web.Response:
        account_id = _path_id(request)
        body = await _admin_body(request)
        try:
            type_id = int(body["type_id"])
            when = datetime.fromisoformat(body["date"])
        except (KeyError, ValueError, TypeError) as err:
            raise _bad_request(f"bad drop-off: {err!r}") from err
        try:
            self.state.add_drop_off(account_id, type_id, when)
        except KeyError as err:
            raise _not_found(str(err)) from err
        except ValueError as err:
            raise _bad_request(str(err)) from err
        return web.json_response({"drop_offs": len(self.state.get_account(account_id).drop_offs)})

    async def _admin_add_visit(self, request: web.Request) -> web.Response:
        account_id = _path_id(request)
        body = await _admin_body(request)
        try:
            when = datetime.fromisoformat(body["date"])
            quantity = None if body.get("quantity") is None else float(body["quantity"])
        except (KeyError, ValueError, TypeError) as err:
            raise _bad_request(f"bad visit: {err!r}") from err
        material = body.get("material")
        try:
            visit = self.state.add_visit(
                account_id,
                when,
                str(body.get("site", "Déchèterie")),
                None if material is None else str(material),
                quantity,
            )
        except KeyError as err:
            raise _not_found(str(err)) from err
        return web.json_response({"id": visit.id})


# -- admin helpers ----------------------------------------------------------------


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def _not_found(message: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=json.dumps({"error": message}), content_type="application/json")


async def _admin_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as err:
        raise _bad_request("body is not JSON") from err
    if not isinstance(body, dict):
        raise _bad_request("body must be a JSON object")
    return body


def _retry_after(value: Any) -> float | str:
    """A Retry-After given to the admin endpoint: a number, or text sent as it is."""
    return value if isinstance(value, str | int) else float(value)


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad_request(f"{name} must be a number or null")
    return float(value)


def _path_id(request: web.Request) -> int:
    account_id = _parse_int(request.match_info["id"])
    if account_id is None:
        raise _not_found(f"bad account id {request.match_info['id']!r}")
    return account_id
