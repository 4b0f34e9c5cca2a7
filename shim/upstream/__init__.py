"""Upstream: how the shim reaches Twitter, below serving in the walk.

`client.Upstream` sends each v2 call (and each passed-through v1.1 call) through httpx2 over the
aiohttp transport (`aiohttp_transport`), behind the circuit breaker (`breaker`); `lookups` caches
the user lookups a flow repeats. It uses the stores and the request's id from the edge, and knows
nothing of routes, flows or after-steps.
"""
