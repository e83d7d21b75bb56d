"""Message bodies: HTML as Intercom stores and returns it, and plain text as ``display_as`` asks.

Intercom answers every body it stored as HTML. Its 2.16 examples show both directions:

* ``manageConversation`` ("Close a conversation") sends the plain text ``"Goodbye :)"`` and
  returns the part's body as ``"<p>Goodbye :)</p>"``;
* ``replyConversation`` ("Admin Reply with a Note") sends ``"<html> <body>  <h2>An Unordered
  HTML List</h2>  <ul>   <li>Coffee</li> ...</body> </html>"`` and returns
  ``"<h2>An Unordered HTML List</h2>\\n<ul>\\n<li>Coffee</li>..."``: the document wrapper goes, and
  the whitespace between tags becomes one line break.

:func:`to_html` reproduces both examples exactly; beyond them (several paragraphs, entities) it is
the emulator's assumption, documented in ``docs/emulator.md``.
"""

from __future__ import annotations

import html
import re

__all__ = ["to_html", "to_plaintext"]

_BREAK_RE = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|pre)>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
_HAS_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")
_WRAPPER_RE = re.compile(r"</?(?:html|body|head)(?:\s[^>]*)?>", re.IGNORECASE)
_BETWEEN_TAGS_RE = re.compile(r">\s+<")
_PARAGRAPH_SPLIT_RE = re.compile(r"\n\s*\n")


def to_html(text: str) -> str:
    """A request's body as Intercom stores and answers it.

    Plain text is escaped and wrapped in ``<p>…</p>``, one paragraph per blank-line-separated
    block, single line breaks becoming ``<br>``. HTML loses its ``<html>``/``<head>``/``<body>``
    wrapper, and the whitespace between two tags becomes a single ``\\n``.

    :param text: the ``body`` a client sent.
    """
    if _HAS_TAG_RE.search(text):
        return _BETWEEN_TAGS_RE.sub(">\n<", _WRAPPER_RE.sub("", text).strip())
    blocks = [block.strip() for block in _PARAGRAPH_SPLIT_RE.split(text.strip()) if block.strip()]
    lines = ("<br>".join(html.escape(line.strip(), quote=False) for line in block.splitlines()) for block in blocks)
    return "".join(f"<p>{line}</p>" for line in lines)


def to_plaintext(text: str) -> str:
    """Turn a message's HTML into plain text, as ``display_as=plaintext`` asks.

    Intercom documents the parameter ("Set to plaintext to retrieve conversation messages in
    plain text") but not the conversion; this one ends blocks and ``<br>`` with a line break,
    drops every other tag and decodes entities.

    :param text: a body or subject, possibly HTML.
    """
    text = _TAG_RE.sub("", _BREAK_RE.sub("\n", text))
    return _BLANK_LINES_RE.sub("\n", html.unescape(text)).strip()
