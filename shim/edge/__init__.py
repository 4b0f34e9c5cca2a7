"""The edge: what a connection meets before any route, first in the walk.

`server` is `shim serve`'s bounded HTTP protocol over uvicorn (`processes` runs it in one or
several processes, `handshake` finishes TLS), with the head deadline, size limit and connection
cap; `limits` fences the request line and body; `origins` knows the shim's own URLs; `throttle`
and `fairness` share out admin guesses and upstream slots by client address; `requests_log`
gives each request its id and its one log line, and `logs` keeps credentials out of every line.
The layers above compose these; the edge imports only credentials' form constants, the stores,
`shim.config` and `shim.errors`.
"""
