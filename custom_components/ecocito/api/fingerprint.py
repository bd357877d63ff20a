"""Structural fingerprints of the portal's answers: what differs, with nothing personal.

When a step fails to parse, the client keeps a fingerprint of the answer: the shape of
its forms (action path, method, input names and types), selects (id, name, option
count), table headers, ``data-*`` attribute names, or the keys and value types of a
JSON answer. Never a value, a label, a token or a query string; digits in names and
paths are masked (an account number may hide in them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
import json
import re
from typing import Any

from . import portal
from .html import Element, parse_html

MAX_ITEMS = 30
"""At most this many forms, inputs, selects, keys... per list (a page may be huge)."""
MAX_DEPTH = 6
"""JSON nesting kept."""
MAX_TEXT = 60
"""Characters kept of a name, a path or a table header."""
MAX_PROBLEM = 200
"""Characters kept of what the parser missed."""

_DIGITS = re.compile(r"\d+")
_QUOTED = re.compile(r"""'[^']*'|"[^"]*\"""")


def mask(text: str) -> str:
    """Return a name, path or header with its digits masked and its length capped."""
    masked = _DIGITS.sub("#", " ".join(text.split()))
    return masked if len(masked) <= MAX_TEXT else f"{masked[:MAX_TEXT]}…"


def url_path(target: str) -> str:
    """Return the path of a URL: no scheme, host, query string or fragment."""
    path = re.split(r"[?#]", target, maxsplit=1)[0]
    return mask(re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", path, flags=re.IGNORECASE))


def form_fingerprint(form: Element) -> dict[str, Any]:
    """Return the structure of a form: its action's path, its method, its fields' names and types."""
    fields = [element for element in form.iter() if element.tag in ("input", "select", "textarea")]
    return {
        "action": url_path(form.attrs["action"]) if "action" in form.attrs else None,
        "method": form.attrs.get("method", "").lower() or None,
        "inputs": [
            [
                mask(element.attrs.get("name", "")),
                element.attrs.get("type", "text").lower()
                if element.tag == "input"
                else element.tag,
            ]
            for element in fields[:MAX_ITEMS]
        ],
    }


def html_fingerprint(page: Element) -> dict[str, Any]:
    """Return the structure of an HTML page."""
    forms = page.find_all("form")
    selects = page.find_all("select")
    tables = page.find_all("table")
    with_data = [
        element for element in page.iter() if any(key.startswith("data-") for key in element.attrs)
    ]
    return {
        "forms": [form_fingerprint(form) for form in forms[:MAX_ITEMS]],
        "selects": [
            {
                "id": mask(select.attrs.get("id", "")),
                "name": mask(select.attrs.get("name", "")),
                "options": len(select.find_all("option")),
            }
            for select in selects[:MAX_ITEMS]
        ],
        "tables": [
            [mask(header.text) for header in table.find_all("th")[:MAX_ITEMS]]
            for table in tables[:MAX_ITEMS]
        ],
        "data_attributes": sorted(
            {
                f"{element.tag}[{mask(key)}]"
                for element in with_data
                for key in element.attrs
                if key.startswith("data-")
            }
        )[:MAX_ITEMS],
        "error_summary": page.find(class_=portal.ERROR_SUMMARY_CLASS) is not None,
        "success_alert": page.find(class_=portal.LINK_SUCCESS_CLASS) is not None,
    }


def json_shape(value: Any, depth: int = 0) -> Any:
    """Return the keys and value types of a JSON value (lists: length and first item)."""
    if depth >= MAX_DEPTH:
        return "…"
    if isinstance(value, Mapping):
        return {
            mask(str(key)): json_shape(item, depth + 1)
            for key, item in list(value.items())[:MAX_ITEMS]
        }
    if isinstance(value, list):
        return {"list": len(value), "first": json_shape(value[0], depth + 1) if value else None}
    if value is None:
        return "null"
    return type(value).__name__


def answer_fingerprint(
    *, method: str, path: str, status: int, content_type: str, body: str, problem: str
) -> dict[str, Any]:
    """Return the fingerprint of one answer the client failed to understand.

    ``problem`` is what the parser missed; quoted values and digits in it are masked.
    """
    fingerprint: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "request": f"{method} {url_path(path)}",
        "status": status,
        "content_type": content_type,
        "length": len(body),
        "problem": _DIGITS.sub("#", _QUOTED.sub("'…'", problem))[:MAX_PROBLEM],
    }
    if "json" in content_type:
        try:
            fingerprint["json"] = json_shape(json.loads(body))
        except ValueError:
            fingerprint["json"] = "malformed"
        except RecursionError:
            fingerprint["json"] = "nested too deeply"
    else:
        fingerprint["html"] = html_fingerprint(parse_html(body))
    return fingerprint
