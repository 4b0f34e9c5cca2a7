"""The operator's commands, the top of the layers: `shim serve`, `shim tokens`, `shim check`,
`shim certs`, `shim routing`, `shim compare`.

`cli` parses the command line (with `parsing`'s parser) and starts the app
(`shim.serving.app`) on the edge's server, or works on the stores directly; `check` tries the
configuration against the store and v2 before a deployment; `certs` makes the TLS files for
pointing clients at the shim; `routing_commands` changes the routing of running instances,
`token_commands` the users' tokens in the store. Nothing below imports these.
"""
