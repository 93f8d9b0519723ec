"""headers broken: answers whose header fields the contract documents are wrong."""

from __future__ import annotations

from flask import Flask, Response

from discard_contract import rules

from .bug import Bug
from .rate_limit import throttling
from .serving import in_front


def json_as_text_plain(app: Flask) -> None:
    """Error answers carry their JSON envelope as text/plain (a framework's default for strings)."""

    def relabel(response: Response) -> Response:
        if response.status_code >= 400:
            response.headers["Content-Type"] = "text/plain; charset=utf-8; format=json"
        return response

    in_front(app, relabel)


retry_after_in_words = throttling(every=2, retry_after=("soon",))  # a 429 in any two requests

BUGS = {
    "Retry-After 'soon' on a 429": Bug(retry_after_in_words, ("test_a_repeated_discard_is_a_conflict",), rules.HEADERS),
    "error envelopes sent as text/plain": Bug(
        json_as_text_plain, ("test_an_unknown_instance_is_not_found",), rules.HEADERS
    ),
}
