"""Upstream: how the shim reaches Twitter, below serving in the walk.

`client.Upstream` sends each v2 call on aiohttp directly, and each passed-through v1.1 call and
media upload through httpx2's client over the same aiohttp transport (`aiohttp_transport`), all
behind the circuit breaker (`breaker`); `lookups` caches
the user lookups a flow repeats. It uses the stores and the request's id from the edge, and knows
nothing of routes, flows or after-steps.
"""
