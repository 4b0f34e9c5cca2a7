"""The operator's page at /_shim/: per endpoint, where traffic goes, how it fares, and what the
comparison of v1.1 with v2 found. Plain HTML with inline SVG bars: nothing to fetch, no script."""

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import urlsplit

from mappings.migration import counted
from mappings.routing import Routing
from shim.serving.dryrun import Planned

STYLE = """
body{font:15px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;background:#f6f8fa}
h1{font-size:22px;margin:0 0 4px} .sub{color:#59636e;margin-bottom:18px}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:14px 18px;margin:0 0 16px}
h2{font-size:17px;margin:0 0 6px} .route{color:#59636e;font-size:13px}
.row{display:flex;gap:28px;flex-wrap:wrap;margin-top:8px} .metric{min-width:250px}
.label{font-size:12px;color:#59636e;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;font-size:13px;margin-top:6px} td,th{padding:3px 10px 3px 0;
text-align:left;vertical-align:top} th{color:#59636e;font-weight:600}
.known{color:#0969da} .new{color:#cf222e;font-weight:600}
.alert{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;
margin-bottom:16px}
.simulated{background:#6639ba;color:#fff;font-weight:700;border-radius:6px;padding:10px 14px;
margin-bottom:16px;letter-spacing:.04em}
"""
# `shim serve --sandbox`: no one should take these figures for X's.
SIMULATED = (
    '<div class="simulated">SIMULATED X \u2014 sandbox: the upstream is the shim\'s own '
    "simulation; nothing here reached X</div>"
)
STORE_PROBLEMS = {
    "data_lost": "lost the shim's data; requests signed before the loss are refused (503, 130), "
    "and tokens and cursors issued before it are gone (docs/operations.md)",
    "not_durable": "has no persistence: a restart would forget every token and nonce",
    "evicting": "may evict live nonces and tokens: set maxmemory-policy noeviction",
    "unreachable": "does not answer",
}
V1, V2, GOOD, KNOWN, BAD = "#8c959f", "#0969da", "#1a7f37", "#54aeff", "#cf222e"


def form_token(admin_token: str) -> str:
    """The token the dashboard's form carries: a page on another site cannot know it."""
    return hmac.new(admin_token.encode(), b"shim dashboard form", hashlib.sha256).hexdigest()


def forged(headers: Mapping[str, str], form: Mapping[str, str], admin_token: str) -> bool:
    """Whether a state-changing operator request may have been sent by another site's page,
    riding on the basic authentication a browser replays by itself. A bearer token is never
    sent by a browser on its own, so a request carrying one is no forgery."""
    if headers.get("authorization", "").lower().startswith("bearer "):
        return False
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != headers.get("host"):
        return True
    # As bytes: compare_digest refuses text with non-ASCII characters (a TypeError).
    given = form.get("csrf", "").encode()
    return not hmac.compare_digest(given, form_token(admin_token).encode())


def admitted(authorization: str, token: str) -> bool:
    """Whether the header carries the admin token: `Bearer <token>` or basic auth's password."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value, validate=True).decode().partition(":")[2]
        except ValueError:
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.encode(), token.encode())


def html(
    traffic: Mapping[str, Mapping[str, Any]],
    report: Mapping[str, Any],
    routing: Routing,
    form: str,
    breaker: str,
    planned: Sequence[Planned] = (),
    store_problems: Sequence[str] = (),
    migration: Mapping[str, Any] | None = None,
    simulated: bool = False,
) -> str:
    """The whole page; `form` is the token its switch's form carries, `breaker` the upstream
    circuit breaker's state, `planned` the latest dry runs, `store_problems` the reasons
    Redis is not as it should be now (`shim.stores.watch.REASONS`), `migration` the
    migration report (`mappings.migration.report`); `simulated`, whether the upstream is the
    sandbox's simulated X."""
    endpoints = sorted(set(traffic) | set(report) | set(routing.routes))
    cards = "".join(_card(e, traffic.get(e), report.get(e), routing) for e in endpoints)
    alert = (
        (
            '<div class="alert">All translated endpoints are sent to v1.1 (the all-v1 switch '
            "is on).</div>"
        )
        if routing.all_v1
        else ""
    )
    alert += "".join(
        f'<div class="alert">Redis: {escape(STORE_PROBLEMS.get(reason, reason))}</div>'
        for reason in store_problems
    )
    empty = "" if endpoints else "<p>No traffic yet.</p>"
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>shim</title>"
        f"<style>{STYLE}</style></head><body>{SIMULATED if simulated else ''}"
        "<h1>twitter-mute-shim</h1>"
        f'<div class="sub">v1.1 calls served through v2, per endpoint; upstream circuit '
        f"breaker {escape(breaker)}</div>"
        f"{alert}{_switch(routing.all_v1, form)}{_migration(migration or {})}{cards}"
        f"{_dry_runs(planned)}{empty}"
        "</body></html>"
    )


def _migration(report: Mapping[str, Any]) -> str:
    """Per v1.1 endpoint the apps call: how it was served, what was answered, what to route
    next; the endpoints v1.1 still refuses in red."""
    rows = "".join(
        ("<tr class=new>" if row["refused_by_v1"] else "<tr>") + f"<td>{escape(call)}</td>"
        f"<td>{row['calls']}</td><td>{escape(counted(row['served']))}</td>"
        f"<td>{escape(counted(row['answers'], row['why']))}</td>"
        f"<td>{escape(row['next'] or '')}</td></tr>"
        for call, row in report.items()
    )
    return (
        '<div class="card"><h2>Migration: what the apps call, and what to route next</h2>'
        "<table><tr><th>v1.1 call</th><th>calls</th><th>served</th><th>answered</th>"
        f"<th>v2 replacement</th></tr>{rows}</table></div>"
        if rows
        else ""
    )


def _dry_runs(planned: Sequence[Planned]) -> str:
    """What dry runs would have sent to v2, newest first."""
    if not planned:
        return ""
    rows = "".join(
        f"<tr><td>{escape(p.endpoint)}</td><td>{escape(p.outcome)}</td>"
        f"<td>{escape('; '.join(p.calls) or 'no write')}</td></tr>"
        for p in planned
    )
    return (
        '<div class="card"><h2>Dry runs: what v2 would have been sent</h2>'
        f"<table><tr><th>endpoint</th><th>outcome</th><th>withheld call</th></tr>{rows}</table>"
        "</div>"
    )


def _switch(on: bool, form: str) -> str:
    """The all-v1 switch as a form: a real POST, carrying the form token."""
    label = "Send translated endpoints back to v2" if on else "Send everything to v1.1"
    return (
        '<form class="card" method="post" action="/_shim/all-v1">'
        f'<input type="hidden" name="on" value="{"false" if on else "true"}">'
        f'<input type="hidden" name="csrf" value="{form}">'
        f"<button>{label}</button></form>"
    )


def _card(
    endpoint: str,
    traffic: Mapping[str, Any] | None,
    compared: Mapping[str, Any] | None,
    routing: Routing,
) -> str:
    route = routing.route(endpoint)
    v1 = (traffic or {}).get("v1", {"requests": 0, "errors": 0, "seconds": 0.0})
    v2 = (traffic or {}).get("v2", {"requests": 0, "errors": 0, "seconds": 0.0})
    split = _bar([(v1["requests"], V1, "v1.1"), (v2["requests"], V2, "v2")])
    errors = (
        "".join(
            f"<div>{name}: {_rate(row['errors'], row['requests'])} errors, "
            f"{_mean_ms(row)} mean upstream time</div>"
            for name, row in (("v1.1", v1), ("v2", v2))
            if row["requests"]
        )
        or "<div>no requests</div>"
    )
    refused = [
        f"{name} code {code}: {count}"
        for name, row in (("v1.1", v1), ("v2", v2))
        for code, count in sorted(row.get("refused", {}).items())
    ]
    if refused:
        errors += (
            f'<div class="new">access refused: {escape(", ".join(refused))}: the app\'s tier '
            "or the token's permissions lack what this endpoint needs (shim check tells which)"
            "</div>"
        )
    unserved = sum(row.get("unserved", 0) for row in (v1, v2))
    if unserved:
        errors += (
            f'<div class="new">no v2 replacement: {unserved} answered 410, code 251: v2 offers '
            "no replacement for this call on self-serve access (remove it from the app, or "
            "route it to v1 with enterprise v1.1 access)</div>"
        )
    return (
        f'<div class="card"><h2>{escape(endpoint)}</h2><div class="route">mode '
        f"{escape(route.served)}, rollout {route.rollout}%"
        f'</div><div class="row"><div class="metric"><div class="label">traffic v1.1 / v2'
        f'</div>{split}</div><div class="metric"><div class="label">errors and latency'
        f"</div>{errors}</div>{_comparison(compared)}</div></div>"
    )


def _comparison(compared: Mapping[str, Any] | None) -> str:
    if not compared:
        return '<div class="metric"><div class="label">comparison</div>not compared</div>'
    requests, matches, known = compared["requests"], compared["matches"], compared["known_only"]
    bar = _bar(
        [
            (matches, GOOD, "match"),
            (known, KNOWN, "known differences"),
            (requests - matches - known, BAD, "unexplained"),
        ]
    )
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{field['count']}</td>"
        f"<td>{escape(', '.join(field['kinds']))}</td>"
        + (
            f'<td class="known">known: {escape(field["known"])}</td>'
            if field["known"]
            else '<td class="new">not explained</td>'
        )
        + "</tr>"
        for name, field in list(compared["fields"].items())[:12]
    )
    table = (
        f"<table><tr><th>field</th><th>times</th><th>kind</th><th></th></tr>{rows}</table>"
        if rows
        else ""
    )
    noise = f"<div>noise filtered: {', '.join(map(escape, compared['noise'])) or 'none'}</div>"
    return (
        f'<div class="metric"><div class="label">comparison: {requests} compared</div>'
        f"{bar}{noise}{table}</div>"
    )


def _bar(parts: list[tuple[float, str, str]]) -> str:
    """A stacked horizontal bar, and its legend, one line a part."""
    total = sum(value for value, _, _ in parts) or 1
    x, rects, lines = 0.0, [], []
    for n, (value, colour, name) in enumerate(parts):
        width = 240 * value / total
        rects.append(f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="18" fill="{colour}"/>')
        lines.append(
            f'<text x="0" y="{34 + 15 * n}" font-size="12"><tspan fill="{colour}">■</tspan> '
            f"{escape(name)} {value:g} ({100 * value / total:.0f}%)</text>"
        )
        x += width
    return (
        f'<svg width="300" height="{26 + 15 * len(parts)}" role="img"><rect width="240" '
        f'height="18" fill="#eaeef2"/>{"".join(rects)}{"".join(lines)}</svg>'
    )


def _rate(errors: float, requests: float) -> str:
    return f"{100 * errors / requests:.0f}%" if requests else "n/a"


def _mean_ms(row: Mapping[str, Any]) -> str:
    return f"{1000 * row['seconds'] / row['requests']:.0f} ms" if row["requests"] else "n/a"
