"""Serving: the routes, where a request is authenticated once, answered, then followed up.

`app.create_app` builds the Starlette app from `mappings.ENDPOINTS`; `lifespan.Shell` is what the
lifespan opens for the routes (the stores, the verifier, the upstream client, the slots). A
request past the edge is identified (`identity`, `sign_in` for OAuth's own steps), then served
by the version its route names (`translated`, `backends`: v2 through a flow, or v1.1
`passthrough`), and after it the metrics, the request log, the comparison and the dry-run record
(`exchange`: the finished exchange given to `metrics`, the log line, `translated`'s comparer
and `dryrun`); `recording` records upstream traffic, and `dashboard` is the operator's page. It
uses every layer below it (the edge, credentials, upstream, stores); only the operator's
commands import it.
"""
