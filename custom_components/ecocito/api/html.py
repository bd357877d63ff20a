"""A small, forgiving HTML tree built on the standard library's HTML parser.

The parser lower-cases tag and attribute names and decodes entities; the tree copes
with omitted end tags (``<option>``, ``<li>``, ``<p>``), void elements and stray end
tags, so lookups never depend on attribute order, whitespace, letter case or wrapper
elements. Nothing here recurses, so however deeply a page nests, walking it cannot
exhaust Python's recursion limit.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
# An opening tag of the key closes an open element of one of the value's tags.
_IMPLIED_END = {
    "option": frozenset({"option"}),
    "li": frozenset({"li"}),
    "p": frozenset({"p"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
}


class Element:
    """An element: its tag, attributes and children (elements or text)."""

    __slots__ = ("attrs", "children", "tag")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        """Create an empty element."""
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element | str] = []

    def __repr__(self) -> str:
        """Describe the element for debugging."""
        return f"<{self.tag} {self.attrs}>"

    @property
    def text(self) -> str:
        """Return the text of the element and its descendants, whitespace collapsed."""
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        # An explicit stack, not recursion: a page nested a thousand levels deep
        # must not exhaust Python's recursion limit.
        stack: list[Element | str] = list(reversed(self.children))
        while stack:
            child = stack.pop()
            if isinstance(child, str):
                yield child
            else:
                yield " "
                stack.append(" ")
                stack.extend(reversed(child.children))

    @property
    def classes(self) -> frozenset[str]:
        """Return the element's CSS classes."""
        return frozenset(self.attrs.get("class", "").lower().split())

    def iter(self) -> Iterator[Element]:
        """Yield every descendant element, depth first, in document order."""
        stack = [child for child in reversed(self.children) if isinstance(child, Element)]
        while stack:
            element = stack.pop()
            yield element
            stack.extend(
                child for child in reversed(element.children) if isinstance(child, Element)
            )

    def find_all(
        self,
        tag: str | None = None,
        *,
        id: str | None = None,  # noqa: A002
        name: str | None = None,
        class_: str | None = None,
    ) -> list[Element]:
        """Return the descendants matching every given criterion.

        ``id`` and ``name`` are compared without letter case, ``class_`` is one class.
        """
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and (id is None or element.attrs.get("id", "").lower() == id.lower())
            and (name is None or element.attrs.get("name", "").lower() == name.lower())
            and (class_ is None or class_.lower() in element.classes)
        ]

    def find(
        self,
        tag: str | None = None,
        *,
        id: str | None = None,  # noqa: A002
        name: str | None = None,
        class_: str | None = None,
    ) -> Element | None:
        """Return the first descendant matching every given criterion, if any."""
        found = self.find_all(tag, id=id, name=name, class_=class_)
        return found[0] if found else None


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        closes = _IMPLIED_END.get(tag)
        if closes and self._stack[-1].tag in closes:
            self._stack.pop()
        element = Element(tag, {key: value or "" for key, value in attrs})
        self._stack[-1].children.append(element)
        if tag not in _VOID:
            self._stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self._stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def parse_html(markup: str) -> Element:
    """Parse a page into a tree; never raises on malformed markup."""
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root
