"""Run the portal simulator: `python -m tests.portal --scenario demo --port 8099`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .app import PortalSimulator
from .scenarios import SCENARIOS, build_scenario


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.portal", description="Simulated Ecocito portal."
    )
    parser.add_argument("--scenario", choices=SCENARIOS, default="demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument(
        "--session-lifetime",
        type=float,
        default=1200.0,
        help="idle seconds before a session expires (0: never)",
    )
    parser.add_argument(
        "--redirect",
        action="store_true",
        help="answer requests without a session with a 302 to the login page",
    )
    return parser


def _describe(sim: PortalSimulator) -> str:
    state = sim.state
    lines = [f"Ecocito portal simulator listening on {sim.base_url}", ""]
    for login in state.logins.values():
        lines.append(f"Login:    {login.email}")
        lines.append(f"Password: {login.password}")
        lines.extend(
            f"  account {account.id}: {account.label}"
            for account in state.linked_accounts(login.email)
        )
    linkable = [
        account
        for account in state.accounts.values()
        if not state.is_linked(account.id) and state.communes[account.commune_id].served
    ]
    if linkable:
        lines.append("")
        lines.append("Activation keys that can be linked:")
        for account in linkable:
            commune = state.communes[account.commune_id]
            lines.append(
                f"  {account.activation_key}  commune {commune.name} ({commune.postal_code})"
                f"  -> {account.label}"
            )
    lines.append("")
    lines.append(f"Admin: {sim.base_url}/_sim/state    (Ctrl-C to stop)")
    return "\n".join(lines)


async def _serve(args: argparse.Namespace) -> None:
    sim = PortalSimulator(build_scenario(args.scenario))
    sim.latency = args.latency
    sim.session_lifetime = args.session_lifetime or None
    sim.expired_session_mode = "redirect" if args.redirect else "page"
    await sim.start(host=args.host, port=args.port)
    print(_describe(sim), flush=True)  # noqa: T201 - a command-line tool
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main() -> None:
    args = _parser().parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
