"""What the leak tests look for: the English catalogue's sentences, so that a page or a notice in
another language can be searched for any of them left behind."""

from __future__ import annotations

import re

from server.i18n import catalogue

_PLACEHOLDER = re.compile(r"%\(\w+\)s")


def english_sentences() -> set[str]:
    """The English catalogue's texts of three words or more, cut at their placeholders."""
    found = set()
    for message in catalogue("en"):
        forms = message.string if isinstance(message.string, tuple | list) else [message.string]
        for form in forms:
            for part in _PLACEHOLDER.split(str(form).replace("%%", "%")):
                words = part.strip(" .;:,()–-")
                if words.count(" ") >= 2:
                    found.add(words)
    return found
