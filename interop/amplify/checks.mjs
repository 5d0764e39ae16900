// Amplify JS v6 (`aws-amplify`, the most used AppSync client) against `appsync local --tls`.
//
// Usage: node checks.mjs URL ACCESS_KEY_ID SECRET API_KEY JWT
// The emulator's CA must be trusted through NODE_EXTRA_CA_CERTS: Amplify turns every endpoint
// into wss:// for subscriptions, and Node refuses a certificate it cannot verify.
//
// Every check asserts what Amplify's own API returns (results, thrown errors, Hub events), never
// what the emulator logs. The last line is "N passed, N failed".
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/api';
import { decodeJWT } from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';
import WebSocket from 'ws';

// Node 20 has no global WebSocket; Amplify's real-time provider expects the browser's.
globalThis.WebSocket ??= WebSocket;

const [url, akid, secret, apiKey, jwt] = process.argv.slice(2);
if (!jwt) {
  console.error('usage: node checks.mjs URL ACCESS_KEY_ID SECRET API_KEY JWT');
  process.exit(2);
}

let results = [];
function check(name, ok, detail = '') {
  results.push(ok);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`);
}

// The credentials Amplify signs with; the wrong-secret check swaps them.
let credentials = { accessKeyId: akid, secretAccessKey: secret };
Amplify.configure(
  {
    API: {
      GraphQL: { endpoint: url, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey },
    },
  },
  {
    Auth: {
      credentialsProvider: {
        getCredentialsAndIdentityId: async () => ({ credentials }),
        clearCredentialsAndIdentityId: () => {},
      },
      tokenProvider: {
        getTokens: async () => ({ accessToken: decodeJWT(jwt), idToken: decodeJWT(jwt) }),
      },
    },
  },
);

const client = generateClient();
const CREATE = `mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title author } }`;
const LIST = `query List { listPosts { items { id title author } } }`;
const ON_CREATE = `subscription OnCreate($author: String) { onCreatePost(author: $author) { id title author } }`;

const within = (ms, what) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms));

// The first error Amplify reports, as an application sees it: `name` is what Amplify read from
// AppSync's `x-amzn-ErrorType` header (its parseJsonError), `message` what it shows.
function firstError(e) {
  const err = e?.errors?.[0];
  return { name: err?.originalError?.name ?? err?.errorType, message: err?.message };
}

async function queries() {
  for (const authMode of ['apiKey', 'iam', 'userPool']) {
    const title = `amplify ${authMode} ${Date.now()}`;
    try {
      const created = await client.graphql({
        query: CREATE,
        variables: { input: { title, author: `amplify-${authMode}` } },
        authMode,
      });
      const post = created.data.createPost;
      check(`${authMode}: mutation returns the created post`, post?.title === title && !!post?.id, JSON.stringify(post));
      const listed = await client.graphql({ query: LIST, authMode });
      const found = listed.data.listPosts.items.some((p) => p.id === post.id);
      check(`${authMode}: query lists it`, found);
    } catch (e) {
      check(`${authMode}: mutation and query`, false, JSON.stringify(e?.errors ?? String(e)));
    }
  }
}

// Resolves when Amplify has seen AppSync's start_ack for a subscription with these variables.
function acked(variables) {
  return new Promise((resolve) => {
    const stop = Hub.listen('api', ({ payload }) => {
      if (payload.event === 'Subscription ack' && JSON.stringify(payload.data?.variables) === JSON.stringify(variables)) {
        stop();
        resolve();
      }
    });
  });
}

async function subscription(authMode) {
  const author = `sub-${authMode}-${Date.now()}`;
  const variables = { author };
  const received = [];
  let failure = null;
  const ack = acked(variables);
  const sub = client.graphql({ query: ON_CREATE, variables, authMode }).subscribe({
    next: ({ data }) => received.push(data.onCreatePost),
    error: (e) => (failure = e),
  });
  try {
    await Promise.race([ack, within(10000, 'start_ack')]);
    // Another author's post first: the argument filter must keep it out.
    await client.graphql({ query: CREATE, variables: { input: { title: 'other', author: `${author}-x` } }, authMode });
    await client.graphql({ query: CREATE, variables: { input: { title: 'mine', author } }, authMode });
    const deadline = Date.now() + 10000;
    while (received.length === 0 && !failure && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const ok = !failure && received.length >= 1 && received.every((p) => p.author === author) && received[0].title === 'mine';
    check(`${authMode}: subscription filtered by argument receives only its event`, ok, JSON.stringify(failure?.errors ?? received));
  } catch (e) {
    check(`${authMode}: subscription`, false, String(e));
  } finally {
    sub.unsubscribe();
  }
}

async function wrongCredentials() {
  try {
    await client.graphql({ query: LIST, authMode: 'apiKey', apiKey: 'da2-notakeyoftheapi' });
    check('wrong API key is refused', false, 'the query succeeded');
  } catch (e) {
    const { name, message } = firstError(e);
    check('wrong API key: Amplify reports UnauthorizedException', name === 'UnauthorizedException', `${name}: ${message}`);
  }
  credentials = { accessKeyId: akid, secretAccessKey: `${secret}-wrong` };
  try {
    await client.graphql({ query: LIST, authMode: 'iam' });
    check('wrong IAM secret is refused', false, 'the query succeeded');
  } catch (e) {
    const { name, message } = firstError(e);
    check('wrong IAM secret: Amplify reports InvalidSignatureException', name === 'InvalidSignatureException', `${name}: ${message}`);
  } finally {
    credentials = { accessKeyId: akid, secretAccessKey: secret };
  }
}

await queries();
for (const authMode of ['apiKey', 'iam', 'userPool']) {
  await subscription(authMode);
}
await wrongCredentials();

const passed = results.filter(Boolean).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || results.length === 0 ? 1 : 0);
