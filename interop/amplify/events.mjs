// Amplify JS v6's `events` client (AppSync Events, marked experimental) against
// `appsync local --tls`.
//
// Usage: node events.mjs EVENT_URL ACCESS_KEY_ID SECRET API_KEY
// EVENT_URL is the emulator's https://HOST:PORT/event; Amplify derives wss://HOST:PORT/event/realtime
// from it. The emulator's CA must be trusted through NODE_EXTRA_CA_CERTS.
//
// For API key and IAM in turn: connect, subscribe with a wildcard, publish over the WebSocket and
// post over HTTP, and receive both; then what Amplify reports for 6 events and a wrong key. Every
// check asserts what Amplify's own API returns. The last line is "N passed, N failed".
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';
import { Hub } from 'aws-amplify/utils';
import WebSocket from 'ws';

// Node 20 has no global WebSocket; Amplify's real-time provider expects the browser's.
globalThis.WebSocket ??= WebSocket;

const [url, akid, secret, apiKey] = process.argv.slice(2);
if (!apiKey) {
  console.error('usage: node events.mjs EVENT_URL ACCESS_KEY_ID SECRET API_KEY');
  process.exit(2);
}

let results = [];
function check(name, ok, detail = '') {
  results.push(ok);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`);
}

Amplify.configure(
  { API: { Events: { endpoint: url, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey } } },
  {
    Auth: {
      credentialsProvider: {
        getCredentialsAndIdentityId: async () => ({ credentials: { accessKeyId: akid, secretAccessKey: secret } }),
        clearCredentialsAndIdentityId: () => {},
      },
    },
  },
);

const within = (ms, what) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms));

// Resolves when Amplify has seen subscribe_success for `channel`.
function acked(channel) {
  return new Promise((resolve) => {
    const stop = Hub.listen('api', ({ payload }) => {
      if (payload.event === 'Subscription ack' && payload.data?.query === channel) {
        stop();
        resolve();
      }
    });
  });
}

// Waits (at most 10 s) until `received` holds an event matching `pred`.
async function arrival(received, pred) {
  const deadline = Date.now() + 10000;
  while (!received.some(pred) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return received.some(pred);
}

async function roundTrip(authMode) {
  const tag = `${authMode}-${Date.now()}`;
  const wildcard = '/default/*';
  const received = [];
  let failure = null;
  let listening;
  let publishing;
  try {
    const ack = acked(wildcard);
    listening = await Promise.race([events.connect(wildcard, { authMode }), within(10000, 'connect')]);
    check(`${authMode}: connect`, true);
    listening.subscribe(
      { next: (data) => received.push(data.event), error: (e) => (failure = e) },
      { authMode },
    );
    await Promise.race([ack, within(10000, 'subscribe_success')]);
    check(`${authMode}: subscribe to ${wildcard} acknowledged`, !failure, String(failure ?? ''));

    publishing = await events.connect(`/default/ws-${tag}`, { authMode });
    await Promise.race([publishing.publish({ via: 'websocket', tag }, { authMode }), within(10000, 'publish_success')]);
    check(`${authMode}: WebSocket publish resolves`, true);
    const ws = await arrival(received, (e) => e?.via === 'websocket' && e?.tag === tag);
    check(`${authMode}: the wildcard subscription receives the WebSocket publish`, ws, JSON.stringify(received));

    const failed = await events.post(`/default/http/${tag}`, [{ via: 'http', tag, n: 1 }, { via: 'http', tag, n: 2 }], { authMode });
    check(`${authMode}: HTTP post of 2 events reports no failure`, failed === undefined, JSON.stringify(failed));
    const both = await arrival(received, (e) => e?.via === 'http' && e?.tag === tag && e?.n === 2);
    const one = received.some((e) => e?.via === 'http' && e?.tag === tag && e?.n === 1);
    check(`${authMode}: the wildcard subscription receives both posted events`, both && one, JSON.stringify(received));
  } catch (e) {
    check(`${authMode}: round trip`, false, String(e?.message ?? e));
  } finally {
    listening?.close();
    publishing?.close();
    await events.closeAll();
  }
}

// What an application sees when AppSync refuses a post: Amplify throws; the first error's name
// or errorType says why.
function errorType(e) {
  const err = e?.errors?.[0] ?? e;
  return err?.errorType ?? err?.originalError?.name ?? err?.name;
}

async function refusals() {
  try {
    await events.post('/default/six', [1, 2, 3, 4, 5, 6]);
    check('6 events are refused', false, 'the post succeeded');
  } catch (e) {
    // Amplify names an HTTP error from `x-amzn-ErrorType` only, which the emulator sends on auth
    // failures, as on GraphQL; whether AppSync Events sends it on this 400 is not captured.
    check('6 events: Amplify throws', true, `${errorType(e)}: ${e?.message}`);
  }
  try {
    await events.post('/default/a', { x: 1 }, { authMode: 'apiKey', apiKey: 'da2-notakeyoftheapi' });
    check('a wrong API key is refused', false, 'the post succeeded');
  } catch (e) {
    check('a wrong API key: Amplify reports UnauthorizedException', errorType(e) === 'UnauthorizedException', `${errorType(e)}: ${e?.message}`);
  }
}

for (const authMode of ['apiKey', 'iam']) {
  await roundTrip(authMode);
}
await refusals();

const passed = results.filter(Boolean).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || results.length === 0 ? 1 : 0);
