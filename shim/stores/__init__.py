"""Stores: what the shim keeps between requests, the bottom of the walk.

`protocols` says what the layers above may ask of a store; `state.open_state(settings)` opens
all of it once for the lifespan: in memory and the SQLite file (`memory`, `sqlite`) or, with
SHIM_REDIS_URL, in Redis (`redis`, which keeps time by Redis's clock, `clock`). The token
secrets (`tokens`, opened by `open_tokens`) have one interface and a class per backend, sealed
alike (`sealing`); `routes` reads the routing file under the routes the store keeps, and
`comparisons` turns comparisons into counters and reports. Modules here import only
`shim.config`, `shim.errors` and one another: every layer above may use a store, no store
calls back up.
"""
