"""Stores: what the shim keeps between requests, the bottom of the walk.

`state.open_state(settings)` opens it once for the lifespan: the token secrets, the replay window
(nonces), the caches, the all-v1 switch, the routes and the comparison records, each behind a
Protocol, kept in memory and the SQLite file (`memory`, `tokens`, `nonces`, `routes`,
`comparisons`) or, with SHIM_REDIS_URL, in Redis (`redis`, its clock in `clock`). Modules here
import only `shim.config`, `shim.errors` and one another: every layer above may use a store, no
store calls back up.
"""
