"""Credentials: who may call, and how the shim signs for them, second in the walk after the edge.

`verifier.Verifier` checks the client's OAuth 1.0a signature (`direct` for the ordinary
header-signed request, oauthlib through `validator` for the rest and for every refusal; the
oauth_* values and oauthlib's reading of the request in `oauth_params`), then its timestamp and
its nonce (`replay`: the window, and the nonces kept in `shim.stores`); `upstream_auth` signs
each of the shim's own upstream calls anew with the same credentials (`hmac_signer` computing
the signature). Nothing here sends a request or knows a route: it imports only the stores,
`shim.config` and `shim.errors`.
"""
