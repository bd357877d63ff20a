"""The client's transport against hostile or broken answers of the simulated portal.

Redirects stay on the portal's own site, reads are bounded (pages, bytes, back-off),
large pages are parsed off the event loop, and a logged-out client stays quiet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import aiohttp
from aiohttp import web
import pytest
from yarl import URL

from custom_components.ecocito.api import (
    ClientClosedError,
    EcocitoClient,
    PortalChangedError,
    RateLimitedError,
    portal,
    transport as transport_module,
)
from custom_components.ecocito.api.transport import DEFAULT_RETRY_AFTER, retry_after_seconds

from .helpers import this_year
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import DEMO_LOGIN, DEMO_MAIN_ACCOUNT_ID, DEMO_PASSWORD

LOGIN = portal.PATH_LOGIN
HOME = portal.PATH_HOME
PICKUPS = portal.PATH_PICKUPS
LOGOUT = portal.PATH_LOGOUT


# --- Redirects ------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_login_redirected_to_another_site_sends_nothing_there(
    client: EcocitoClient, simulator: PortalSimulator, elsewhere: PortalSimulator, status: int
) -> None:
    """A 307 would re-send the form: the e-mail and password must not go to another host."""
    simulator.add_fault(
        Fault(FaultKind.REDIRECT, LOGIN, count=1, status=status, location=elsewhere.base_url)
    )

    with pytest.raises(PortalChangedError, match="redirected away from the portal"):
        await client.login()

    assert elsewhere.requests == []
    assert (await client.login()).accounts  # the portal's next answer is fine


async def test_redirect_within_the_portal_is_followed(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """A 307 to the portal's own login address re-posts the form there, once."""
    simulator.add_fault(
        Fault(FaultKind.REDIRECT, LOGIN, count=1, status=307, location=simulator.base_url)
    )

    assert (await client.login()).accounts

    assert simulator.count(LOGIN, "POST") == 2
    assert simulator.count(HOME) == 1


async def test_endless_redirects_stop(client: EcocitoClient, simulator: PortalSimulator) -> None:
    await client.login()
    simulator.reset_requests()
    simulator.add_fault(Fault(FaultKind.REDIRECT, HOME, status=302, location=simulator.base_url))

    with pytest.raises(PortalChangedError, match="redirects"):
        await client.login()  # its post, then the home page redirecting to itself

    assert simulator.count() == portal.MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("target", "same"),
    [
        ("https://ccac.ecocito.com/Usager/Accueil", True),
        ("https://CCAC.ecocito.com:443/x", True),
        ("http://ccac.ecocito.com/Usager/Accueil", False),  # never from https to http
        ("https://ccac.ecocito.com:8443/x", False),
        ("https://evil.example/Usager/Accueil", False),
        ("https://ccac.ecocito.com.evil.example/", False),
    ],
)
def test_same_origin(target: str, same: bool) -> None:
    base = URL("https://ccac.ecocito.com")

    assert (transport_module._origin(URL(target)) == transport_module._origin(base)) is same


# --- Pagination -----------------------------------------------------------------


async def test_ignored_skip_with_a_wrong_total_stops_at_the_repeated_page(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    await client.login()
    simulator.reset_requests()
    simulator.add_fault(Fault(FaultKind.IGNORE_SKIP, PICKUPS))

    with pytest.raises(PortalChangedError, match="same page twice"):
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())

    assert simulator.count(PICKUPS) == 2


async def test_pages_are_bounded(
    client: EcocitoClient, simulator: PortalSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even pages that all differ stop at MAX_PAGES."""
    monkeypatch.setattr(portal, "MAX_PAGES", 3)
    simulator.max_take = 1
    await client.login()
    simulator.reset_requests()

    with pytest.raises(PortalChangedError, match="more than 3 pages"):
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())

    assert simulator.count(PICKUPS) == 3


# --- Size -----------------------------------------------------------------------


async def test_huge_body_is_refused(client: EcocitoClient, simulator: PortalSimulator) -> None:
    await client.login()
    simulator.add_fault(Fault(FaultKind.HUGE_BODY, HOME, count=1, size=48 * 2**20))

    with pytest.raises(PortalChangedError, match="more than 4 MB"):
        await client.login()

    assert (await client.login()).accounts  # the next answer is read as usual


async def test_large_page_is_parsed_off_the_event_loop(
    client: EcocitoClient, simulator: PortalSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_threads: list[str] = []
    to_thread = asyncio.to_thread

    async def record(func: Callable[..., Any], /, *args: Any) -> Any:
        in_threads.append(func.__name__)
        return await to_thread(func, *args)

    monkeypatch.setattr(transport_module.asyncio, "to_thread", record)
    await client.login()
    assert in_threads == []  # small pages stay on the loop
    simulator.add_fault(Fault(FaultKind.HUGE_BODY, HOME, count=1, size=2 * 2**20))
    simulator.add_fault(Fault(FaultKind.HUGE_BODY, PICKUPS, count=1, size=2 * 2**20))

    assert (await client.login()).accounts
    assert (await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())).pickups

    assert in_threads == ["parse_html", "loads"]  # the home page, the pickups


# --- Nesting --------------------------------------------------------------------


@pytest.mark.parametrize("depth", [990, 10_000])
async def test_deeply_nested_page_is_read(
    client: EcocitoClient, simulator: PortalSimulator, depth: int
) -> None:
    """~990 nested elements once raised RecursionError: the tree walk does not recurse."""
    simulator.add_fault(Fault(FaultKind.DEEP_NESTING, HOME, depth=depth))

    assert (await client.login()).accounts
    assert (await client.login()).accounts


async def test_too_deeply_nested_json_is_a_portal_change(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    await client.login()
    simulator.add_fault(Fault(FaultKind.DEEP_NESTING, PICKUPS, count=1, depth=100_000))

    with pytest.raises(PortalChangedError, match="nested too deeply"):
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())


# --- Retry-After ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("inf", portal.MAX_RETRY_AFTER),
        ("1e400", portal.MAX_RETRY_AFTER),
        ("nan", DEFAULT_RETRY_AFTER),
        ("86400", portal.MAX_RETRY_AFTER),
        ("Thu, 01 Jan 2099 00:00:00 GMT", portal.MAX_RETRY_AFTER),
        ("Fri, 31 Dec 9999 23:59:59 GMT", portal.MAX_RETRY_AFTER),
        ("Mon, 01 Jan 99999 00:00:00 GMT", DEFAULT_RETRY_AFTER),
    ],
)
def test_retry_after_is_capped_at_an_hour(header: str, expected: float) -> None:
    assert retry_after_seconds(header) == expected


@pytest.mark.parametrize("header", ["inf", "Thu, 01 Jan 2099 00:00:00 GMT"])
async def test_rate_limit_blocks_for_at_most_an_hour(
    client: EcocitoClient, simulator: PortalSimulator, header: str
) -> None:
    simulator.add_fault(Fault(FaultKind.RATE_LIMITED, count=1, retry_after=header))

    with pytest.raises(RateLimitedError) as err:
        await client.login()

    assert err.value.retry_after == portal.MAX_RETRY_AFTER


def test_retry_after_date_in_the_past_or_soon() -> None:
    soon = format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True)

    assert 0 <= retry_after_seconds(soon) <= 1


# --- Closing --------------------------------------------------------------------


async def test_logout_during_a_read_stops_it_without_logging_in_again(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    await client.login()
    simulator.latency = 0.05
    reading = asyncio.create_task(client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year()))
    await asyncio.sleep(0.08)  # the read is under way

    await client.logout()

    with pytest.raises(ClientClosedError):
        await reading
    paths = [(record.method, record.path) for record in simulator.requests]
    assert paths[-1] == ("GET", LOGOUT)
    assert paths.count(("POST", LOGIN)) == 1
    assert simulator.session_count() == 0


async def test_logout_of_a_client_that_never_logged_in_sends_nothing(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    client = EcocitoClient(http_session, simulator.base_url, DEMO_LOGIN, DEMO_PASSWORD)

    await client.logout()

    assert simulator.requests == []
    with pytest.raises(ClientClosedError):
        await client.login()
    assert simulator.requests == []


# --- Answers no simulated portal gives: a bare site that answers what a test says ------


@pytest.fixture
async def odd_site(socket_enabled: None) -> Any:
    """A loopback site whose paths answer oddly; yields its Transport."""
    limit = portal.MAX_BODY_BYTES

    def answer(**kwargs: Any) -> Callable[[web.Request], Any]:
        async def handler(_request: web.Request) -> web.Response:
            return web.Response(**kwargs)

        return handler

    app = web.Application()
    app.add_routes(
        [
            web.get("/sized", answer(body=b" " * (limit + 1))),
            web.get(
                "/charset",
                answer(
                    body="<p>Collecte du 2 février</p>".encode(),
                    headers={"Content-Type": "text/html; charset=x-unknown-8"},
                ),
            ),
            web.get("/almost-json", answer(text="{Nombre: 3", content_type="text/plain")),
            web.get("/badly", answer(status=302, headers={"Location": "http://[::1"})),
        ]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as session:
        yield transport_module.Transport(
            session, URL(f"http://127.0.0.1:{port}"), request_timeout=5
        )
    await runner.cleanup()


async def test_a_body_announced_too_large_is_not_read(odd_site: Any) -> None:
    with pytest.raises(PortalChangedError, match="more than 4 MB"):
        await odd_site.request("GET", "/sized")


async def test_an_unknown_charset_reads_as_utf8(odd_site: Any) -> None:
    answer = await odd_site.request("GET", "/charset")
    assert answer.body == "<p>Collecte du 2 février</p>"


async def test_text_that_only_looks_like_json_is_not_json(odd_site: Any) -> None:
    """Not JSON by its type, and it does not parse: a page for the client to read."""
    with pytest.raises(transport_module.NotJsonError) as raised:
        await odd_site.get_json("/almost-json", {})
    assert raised.value.answer.body == "{Nombre: 3"


async def test_a_redirect_to_a_bad_address_stops(odd_site: Any) -> None:
    with pytest.raises(PortalChangedError, match="redirected to a bad address"):
        await odd_site.request("GET", "/badly")


async def test_an_answer_is_fingerprinted_once(odd_site: Any) -> None:
    """Nothing to fingerprint before any answer; the same error is fingerprinted once."""
    err = PortalChangedError("the borne statistics are missing")
    await odd_site.fingerprint(err)
    assert err.fingerprint is None
    assert odd_site.fingerprints == []
    await odd_site.request("GET", "/charset")
    await odd_site.fingerprint(err)
    await odd_site.fingerprint(err)
    assert len(odd_site.fingerprints) == 1
    assert odd_site.fingerprints[0]["request"] == "GET /charset"
