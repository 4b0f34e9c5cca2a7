"""A simulated X for `shim serve --sandbox` and the project's own tests: API v2 (users,
follows, mutes, blocks, Tweets, likes, retweets, timelines, search) and the v1.1 sign-in, each
call's OAuth 1.0a signature checked, with state that changes as calls are made. It stands where
the upstream does: the commands start it (`shim.operator`), and it imports nothing of the
shim's own. `model` answers one request as data (`httpx2.Request` → `httpx2.Response`),
`signatures` tells who signed it, `tweets` and `timelines` answer for its Tweets, `answers`
holds v2's shapes, `seed` the sandbox's users and tokens, and `server` serves it on a loopback
port."""
