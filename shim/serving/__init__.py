"""Serving: the routes, where a request is authenticated once, answered, then followed up.

`app.create_app` builds the Starlette app from `mappings.ENDPOINTS`; `lifespan.Resources` is the
one frozen value the lifespan opens for the routes (the stores, the verifier, the upstream
client, the slots, the after-steps). A request past the edge is identified once (`identity`,
`sign_in` for OAuth's own steps), then served by the version its route names (`translated`,
`backends`: v2 through a flow, or v1.1 `passthrough`), and the finished exchange (`exchange`)
goes to each after-step: `metrics`, the request log, the `comparison` and the `dryrun` record.
`recording` records upstream traffic, and `dashboard` is the operator's page. It uses every
layer below it (the edge, credentials, upstream, stores); only the operator's commands import
it.
"""
