// A Node client of API v1.1 pointed at the shim as docs/clients.md says, run by
// tests/e2e/test_recipes.py: `node recipes.js LIBRARY [BASE]`. With BASE the library's own base-URL
// option names the shim; without, the library is left as installed and the test leads its
// hard-coded host to the shim. The test trusts the shim's CA through NODE_EXTRA_CA_CERTS and passes
// the (fake) credentials in RECIPE_CREDENTIALS. The session verifies the credentials, mutes @Twitter
// by screen name, unmutes it by id and unmutes it again (v1.1's 272), and prints what the client
// saw, up to the first refusal, as one JSON object: the shape tests/e2e/recipes.py prints for the
// Python clients.
'use strict';

const [library, base] = process.argv.slice(2);
const keys = JSON.parse(process.env.RECIPE_CREDENTIALS);

const recipes = {
  // Its v1.1 client, `client.v1`, calls https://api.x.com/1.1/ (globals.js). It has no base URL
  // for its helpers (cloneWithPrefix throws in 1.29.1: `this.constructor(this)` without `new`),
  // so with BASE the session makes generic calls, each given it as `prefix`.
  'twitter-api-v2': () => {
    const { TwitterApi } = require('twitter-api-v2');
    const { v1 } = new TwitterApi({
      appKey: keys.consumer_key,
      appSecret: keys.consumer_secret,
      accessToken: keys.token,
      accessSecret: keys.token_secret,
    });
    const at = base ? { prefix: base } : {};
    return {
      me: async () =>
        (base ? await v1.get('account/verify_credentials.json', {}, at) : await v1.verifyCredentials())
          .screen_name,
      mute: (params) => v1.post('mutes/users/create.json', params, at),
      unmute: (params) => v1.post('mutes/users/destroy.json', params, at),
      // ApiResponseError: the HTTP status as `code`, v1.1's error list as `errors`.
      seen: (error) => ({ status: error.code, code: error.errors[0].code }),
    };
  },
  // https://{subdomain}.twitter.com/{version}: a subdomain option, no base URL.
  'twitter-lite': () => {
    const Twitter = require('twitter-lite');
    const client = new Twitter({
      consumer_key: keys.consumer_key,
      consumer_secret: keys.consumer_secret,
      access_token_key: keys.token,
      access_token_secret: keys.token_secret,
    });
    return {
      me: async () => (await client.get('account/verify_credentials')).screen_name,
      mute: (params) => client.post('mutes/users/create', params),
      unmute: (params) => client.post('mutes/users/destroy', params),
      // It rejects with the answer's body: v1.1's error list, no HTTP status.
      seen: (error) => ({ code: error.errors[0].code }),
    };
  },
  // lib/endpoints.js: REST_ROOT 'https://api.twitter.com/1.1/', no option.
  twit: () => {
    const Twit = require('twit');
    const client = new Twit({
      consumer_key: keys.consumer_key,
      consumer_secret: keys.consumer_secret,
      access_token: keys.token,
      access_token_secret: keys.token_secret,
    });
    return {
      me: async () => (await client.get('account/verify_credentials')).data.screen_name,
      mute: async (params) => (await client.post('mutes/users/create', params)).data,
      unmute: async (params) => (await client.post('mutes/users/destroy', params)).data,
      seen: (error) => ({ status: error.statusCode, code: error.code }),
    };
  },
  // node-twitter (`twitter` on npm): its `rest_base` option.
  twitter: () => {
    const Twitter = require('twitter');
    const client = new Twitter({
      consumer_key: keys.consumer_key,
      consumer_secret: keys.consumer_secret,
      access_token_key: keys.token,
      access_token_secret: keys.token_secret,
      ...(base ? { rest_base: base } : {}),
    });
    return {
      me: async () => (await client.get('account/verify_credentials', {})).screen_name,
      mute: (params) => client.post('mutes/users/create', params),
      unmute: (params) => client.post('mutes/users/destroy', params),
      // It rejects with v1.1's error list itself.
      seen: (errors) => ({ code: errors[0].code }),
    };
  },
};

function user(answer) {
  return { id_str: answer.id_str, screen_name: answer.screen_name };
}

// What the client saw up to the first refusal, which ends it: with the shim where the recipe
// points, v1.1's 272 for the second unmute.
async function session(client) {
  const seen = {};
  try {
    seen.me = await client.me();
    seen.muted = user(await client.mute({ screen_name: 'Twitter' }));
    seen.unmuted = user(await client.unmute({ user_id: '783214' }));
    await client.unmute({ user_id: '783214' });
  } catch (error) {
    seen.refused = client.seen(error);
  }
  return seen;
}

session(recipes[library]()).then(
  (seen) => console.log(JSON.stringify(seen)),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
