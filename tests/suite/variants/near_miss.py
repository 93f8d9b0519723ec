"""near-miss broken: a request that is almost an instance's path, or names another in its query, discards."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote

from flask import Flask

from discard_contract import rules

from .bug import Bug
from .serving import context_of

PATH_NAMES = ("accountGroupId", "campaignId", "workflowInstanceId")


def _rewrite_path(app: Flask, change: Any) -> None:
    """A layer that rewrites a discard's path before the mock routes it: `change(environ, segments)`."""
    wsgi_app = app.wsgi_app

    def layer(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/v1/") and path.endswith("/discard"):
            environ["PATH_INFO"] = change(environ, path)
        return wsgi_app(environ, start_response)

    app.wsgi_app = layer  # type: ignore[method-assign]


def trimmed_ids(app: Flask) -> None:
    """Strips whitespace and control characters around each segment, as a lenient router does."""
    _rewrite_path(app, lambda environ, path: "/".join(part.strip(" \t\r\n\0") for part in path.split("/")))


def query_obeyed(app: Flask) -> None:
    """Takes the IDs a query string names over the path's."""

    def obey(environ: dict[str, Any], path: str) -> str:
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        parts = path.split("/")  # '', v1, accounts, A, campaigns, C, workflow-instances, W, discard
        for name, at in zip(PATH_NAMES, (3, 5, 7), strict=True):
            parts[at] = unquote(query.get(name, parts[at]))
        return "/".join(parts)

    _rewrite_path(app, obey)


def prefix_match(app: Flask) -> None:
    """Finds an instance by the start of its ID (a LIKE 'id%' lookup): a cut ID still discards it."""
    store = context_of(app).instances

    def complete(environ: dict[str, Any], path: str) -> str:
        parts = path.split("/")
        given = unquote(parts[7])
        if len(given) >= 20 and store.get(given) is None:
            found = next(
                (i.workflow_instance_id for i in store.instances() if i.workflow_instance_id.startswith(given)), None
            )
            parts[7] = found or parts[7]
        return "/".join(parts)

    _rewrite_path(app, complete)


BUGS = {
    "IDs trimmed of whitespace": Bug(trimmed_ids, ("test_a_path_near_an_instance_names_no_instance",), rules.NEAR_MISS),
    "a query's IDs obeyed": Bug(
        query_obeyed, ("test_a_query_never_changes_which_instance_is_addressed",), rules.NEAR_MISS
    ),
    "IDs matched by prefix": Bug(prefix_match, ("test_a_path_near_an_instance_names_no_instance",), rules.NEAR_MISS),
}
