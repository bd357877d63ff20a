"""Follow the portal's own forms: where they post, how, and which fields they carry.

The account drop-down and the association wizard are modelled (see ``portal.py``): the
live portal may name its paths and fields differently. So the client sends back what
the page's form says, as a browser would: its ``action`` and ``method``, every field it
already carries (the anti-forgery token, whatever its name, and any other hidden
field), plus the one field the client fills in. The modelled names of ``portal.py``
are defaults, used where the page says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urljoin, urlsplit

from . import portal
from .errors import PortalChangedError
from .parsing import casefold_without_accents, find_account_select

if TYPE_CHECKING:
    from collections.abc import Callable

    from .html import Element

_TEXT_TYPES = frozenset({"", "text", "search", "tel", "number", "email", "password"})
_SKIPPED_TYPES = frozenset({"submit", "button", "image", "reset", "file"})
_SCRIPT_SOURCE = re.compile(r"""\b(?:source|url)\s*:\s*["']([^"']+)["']""")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageForm:
    """A form to send back: where, how, what it carries, and the field the client fills."""

    path: str
    method: str
    """``GET`` or ``POST``, as the form says (HTML's default is ``GET``)."""
    query: dict[str, str]
    """The query string of the form's ``action``, if any."""
    fields: dict[str, str]
    """What the form already carries: hidden fields (the token) and other inputs."""
    field: str
    """The name of the field the client fills in."""

    def fill(self, value: str) -> dict[str, str]:
        """Return the fields to send, with the client's field set to ``value``."""
        return {**self.fields, self.field: value}

    @property
    def shape(self) -> str:
        """Describe the form by its names only (no value, no query): safe to log."""
        carried = ", ".join(self.fields) or "nothing"
        return f"{self.method} {self.path}, fills {self.field}, sends back {carried}"


def resolve(target: str, page_path: str, base_url: str) -> tuple[str, dict[str, str]]:
    """Resolve a link of the page (``action``, ``data-*`` URL) to a path and its query.

    An empty target is the page itself. A target on another origin than the portal's
    is refused: the client never sends the session's token elsewhere.
    """
    base = urlsplit(base_url)
    resolved = urlsplit(urljoin(f"{base.scheme}://{base.netloc}{page_path}", target.strip()))
    if (resolved.scheme, resolved.netloc.lower()) != (base.scheme, base.netloc.lower()):
        raise PortalChangedError("a form of the page leads off the portal")
    return resolved.path or "/", dict(parse_qsl(resolved.query, keep_blank_values=True))


def form_fields(form: Element) -> dict[str, str]:
    """Return what a browser would send of a form before anyone types anything."""
    fields: dict[str, str] = {}
    for element in form.iter():
        name = element.attrs.get("name", "")
        if not name or "disabled" in element.attrs:
            continue
        if element.tag == "input":
            kind = element.attrs.get("type", "").lower()
            if kind in _SKIPPED_TYPES or (
                kind in ("checkbox", "radio") and "checked" not in element.attrs
            ):
                continue
            value = element.attrs.get("value", "on" if kind in ("checkbox", "radio") else "")
            fields.setdefault(name, value)
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = next((o for o in options if "selected" in o.attrs), None)
            chosen = chosen or (options[0] if options else None)
            if chosen is not None:
                fields.setdefault(name, chosen.attrs.get("value", chosen.text))
        elif element.tag == "textarea":
            fields.setdefault(name, element.text)
    return fields


def _page_form(
    form: Element, field: str, page_path: str, base_url: str, *, leave_out: str = ""
) -> PageForm:
    path, query = resolve(form.attrs.get("action", ""), page_path, base_url)
    fields = {key: value for key, value in form_fields(form).items() if key != leave_out}
    return PageForm(
        path=path,
        method="POST" if form.attrs.get("method", "").strip().lower() == "post" else "GET",
        query=query,
        fields=fields,
        field=field,
    )


def _holds(form: Element, element: Element) -> bool:
    return any(descendant is element for descendant in form.iter())


# --- The account drop-down ------------------------------------------------------


def _account_form(page: Element) -> tuple[Element, Element] | None:
    select = find_account_select(page)
    if select is None:
        return None
    form = next((form for form in page.find_all("form") if _holds(form, select)), None)
    return None if form is None else (form, select)


def account_switch_form(page: Element, page_path: str, base_url: str) -> PageForm | None:
    """Return the form that holds the account drop-down, to switch the active account."""
    if (found := _account_form(page)) is None:
        return None
    form, select = found
    field = select.attrs.get("name") or portal.FIELD_ACCOUNT
    return _page_form(form, field, page_path, base_url, leave_out=field)


def default_switch_form() -> PageForm:
    """Return the modelled account switch, for a page that showed no drop-down form."""
    return PageForm(
        path=portal.PATH_SWITCH_ACCOUNT,
        method="POST",
        query={},
        fields={portal.FIELD_TOKEN: ""},
        field=portal.FIELD_ACCOUNT,
    )


# --- The association wizard -----------------------------------------------------


def _wizard_forms(page: Element) -> list[Element]:
    """Return the page's forms but the account drop-down's and a login form."""
    account = _account_form(page)
    return [
        form
        for form in page.find_all("form")
        if (account is None or form is not account[0])
        and portal.PATH_LOGIN.lower() not in form.attrs.get("action", "").lower()
    ]


def _inputs(form: Element, types: frozenset[str]) -> list[Element]:
    return [
        element
        for element in form.find_all("input")
        if element.attrs.get("name") and element.attrs.get("type", "").lower() in types
    ]


def _guess(candidates: list[Element], words: tuple[str, ...]) -> str | None:
    """Return the candidate named after one of ``words``, else the only one, else None."""
    named = [
        e
        for e in candidates
        if any(word in casefold_without_accents(e.attrs["name"]) for word in words)
    ]
    if len(named) == 1:
        return named[0].attrs["name"]
    return candidates[0].attrs["name"] if len(candidates) == 1 else None


def _guess_commune_field(form: Element) -> str | None:
    """Find the commune's id: a hidden input the page leaves empty for the autocomplete."""
    empty_hidden = [
        e for e in _inputs(form, frozenset({"hidden"})) if not e.attrs.get("value", "").strip()
    ]
    return _guess(empty_hidden, portal.COMMUNE_FIELD_HINTS)


def _guess_key_field(form: Element) -> str | None:
    """Find the activation key's field: the form's text input."""
    return _guess(_inputs(form, _TEXT_TYPES), portal.KEY_FIELD_HINTS)


def _wizard_form(
    page: Element,
    page_path: str,
    base_url: str,
    default_field: str,
    guess: Callable[[Element], str | None],
    what: str,
) -> PageForm:
    forms = _wizard_forms(page)
    for form in forms:
        if (field := form.find("input", name=default_field)) is not None:
            return _page_form(form, field.attrs["name"], page_path, base_url)
    for form in forms:
        if (name := guess(form)) is not None:
            return _page_form(form, name, page_path, base_url)
    raise PortalChangedError(f"{what} ({default_field} or a field like it) is missing")


def commune_form(page: Element, page_path: str, base_url: str) -> PageForm:
    """Return the wizard's first step: the form that takes the commune's id."""
    return _wizard_form(
        page,
        page_path,
        base_url,
        portal.FIELD_COMMUNE_ID,
        _guess_commune_field,
        "the wizard's commune field",
    )


def key_form(page: Element, page_path: str, base_url: str) -> PageForm:
    """Return the wizard's second step: the form that takes the activation key."""
    return _wizard_form(
        page,
        page_path,
        base_url,
        portal.FIELD_ACTIVATION_KEY,
        _guess_key_field,
        "the wizard's activation key field",
    )


def commune_search(page: Element, page_path: str, base_url: str) -> tuple[str, dict[str, str]]:
    """Return the commune search's path and query, as the wizard's page gives it.

    The page's autocomplete says it: a ``data-*`` attribute holding a portal URL in the
    wizard's form (its commune input first), else a ``source:`` / ``url:`` in a script.
    Without either, the modelled path.
    """
    targets: list[str] = []
    for form in _wizard_forms(page):
        elements = sorted(form.iter(), key=lambda e: e.attrs.get("type", "").lower() == "hidden")
        targets.extend(
            value
            for element in elements
            for key, value in element.attrs.items()
            if key.startswith("data-") and value.strip().startswith(("/", "http"))
        )
    for script in page.find_all("script"):
        targets.extend(_SCRIPT_SOURCE.findall(script.text))
    for target in targets:
        try:
            return resolve(target, page_path, base_url)
        except PortalChangedError:
            continue  # a URL of another site (a map, a CDN): not the search
    return portal.PATH_SEARCH_COMMUNES, {}
