"""A request as a curl command that a shell runs as it is: every part shell-quoted, each key as
its environment variable, so a failure can be pasted into a ticket and replayed by whoever holds the key."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

# Header fields the HTTP library adds on its own; curl adds its own (or none is needed) to replay a request.
TRANSPORT_HEADERS = frozenset({"host", "connection", "accept-encoding", "user-agent"})
DOUBLE_QUOTE_SPECIALS = frozenset('"\\$`!')


def curl_line(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, variables: Mapping[str, str]
) -> str:
    """The request as a curl command a shell runs as it is, every part shell-quoted.

    A value that `variables` names (a key) is written as its environment variable,
    `-H "Authorization: Bearer $CONTRACT_API_KEY"`, so the line can be pasted into a
    ticket and replayed by whoever holds the key. A body that is not text goes in
    through printf's octal escapes.
    """
    words = ["curl", "-i", "-X", shlex.quote(method), shlex.quote(url)]
    for name, value in headers.items():
        lower = name.lower()
        if lower in TRANSPORT_HEADERS or (lower == "accept" and value == "*/*") or (lower == "content-length" and body):
            continue  # curl sends its own, or counts the body itself
        words += ["-H", _shell_word(f"{name}: {value}", variables)]
    if not body:
        return " ".join(words)
    if not any(name.lower() == "content-type" for name in headers):
        words += ["-H", "Content-Type:"]  # else curl would add a form content type of its own
    text = body.decode("utf-8", "replace")
    if "\ufffd" in text or "\0" in text:  # not text a shell word can hold
        octal = "".join(f"\\{byte:03o}" for byte in body)
        return f"printf '{octal}' | " + " ".join([*words, "--data-binary", "@-"])
    return " ".join([*words, "--data-binary", _shell_word(text, variables)])


def _shell_word(text: str, variables: Mapping[str, str]) -> str:
    """`text` as one shell word, each of `variables`' values in it written as its `$VARIABLE`."""
    found = sorted((value for value in variables if value and value in text), key=len, reverse=True)
    if not found:
        return shlex.quote(text)
    pieces = re.split("(" + "|".join(map(re.escape, found)) + ")", text)  # literal, value, literal, ...
    if any(DOUBLE_QUOTE_SPECIALS & set(literal) for literal in pieces[0::2]):
        return "".join(f'"${{{variables[p]}}}"' if i % 2 else shlex.quote(p) for i, p in enumerate(pieces) if p)
    inside = ""
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            inside += piece
        else:  # ${NAME} only where a letter, digit or _ follows, which would extend the name
            following = pieces[i + 1][:1]
            name = variables[piece]
            inside += f"${{{name}}}" if following.isalnum() or following == "_" else f"${name}"
    return f'"{inside}"'
