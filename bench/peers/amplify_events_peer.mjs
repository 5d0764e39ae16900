// The Amplify JS v6 `events` client (aws-amplify, installed by bench/events_client.sh under
// target/bench-events-node) as the peer of `loadgen events --measure throughput`: SUBS
// subscriptions to CHANNEL over Amplify's one shared WebSocket, the ready file written once
// Amplify has seen every subscribe_success, then events counted where Amplify hands them to the
// application (`next`), until SUBS x PUBLISHES x EVENTS have arrived: events per second from the
// first to the last, and this process's CPU per event. One JSON line on stdout, as loadgen's.
//
// Subscriptions are made STEP (default 50) at a time, a step 1.1 s after the last one's
// subscribe_success messages.
// All at once, `connection_init` and 100 subscribes exceed the socket's inbound rate (100
// messages a second, as AppSync throttles bursts with LimitExceededError): Amplify ignores that
// error (it carries no id), times the one subscription out after 15 s, marks the socket
// disrupted and 5 s later sends every subscribe again on the same socket, whose ids are then
// refused as DuplicatedOperationError: 99 errors of 100. The appsync client paces its own
// messages; Amplify does not, so the peer does it here.
//
// Usage: node amplify_events_peer.mjs --url https://127.0.0.1:PORT/event --api-key KEY
//   [--channel /default/bench] [--subs 100] [--publishes 200] [--events 5] --ready-file FILE
//   [--max-seconds 120] [--label L] [--step 50]
// The emulator's CA must be trusted through NODE_EXTRA_CA_CERTS (Amplify speaks only wss://).
import { writeFileSync } from 'node:fs';
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';
import { Hub } from 'aws-amplify/utils';
import WebSocket from 'ws';

// Node 20 has no global WebSocket; Amplify's real-time provider expects the browser's.
globalThis.WebSocket ??= WebSocket;

const opts = {
  channel: '/default/bench', subs: '100', publishes: '200', events: '5', 'max-seconds': '120', label: '', step: '50',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  opts[argv[i].replace(/^--/, '')] = argv[i + 1];
}
if (!opts.url || !opts['api-key'] || !opts['ready-file']) {
  console.error('usage: node amplify_events_peer.mjs --url URL --api-key KEY --ready-file FILE [...]');
  process.exit(2);
}
const subs = Number(opts.subs);
const expected = subs * Number(opts.publishes) * Number(opts.events);

Amplify.configure({
  API: { Events: { endpoint: opts.url, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey: opts['api-key'] } },
});

// Resolves once Amplify has reported `n` subscribe_success for the channel.
function acked(channel, n) {
  let seen = 0;
  return new Promise((resolve) => {
    const stop = Hub.listen('api', ({ payload }) => {
      if (payload.event === 'Subscription ack' && payload.data?.query === channel && ++seen === n) {
        stop();
        resolve();
      }
    });
  });
}

let counted = 0;
let first = null;
let last = null;
let errors = 0;
let finish;
const done = new Promise((resolve) => (finish = resolve));
const observer = {
  next: () => {
    const now = process.hrtime.bigint();
    if (first === null) first = now;
    last = now;
    if (++counted === expected) finish();
  },
  error: (e) => {
    errors += 1;
    console.error(`amplify events: ${JSON.stringify(e?.errors ?? e?.message ?? e)}`);
  },
};

const channels = [];
const timer = setTimeout(finish, Number(opts['max-seconds']) * 1000);
const step = Math.max(1, Number(opts.step));
for (let made = 0; made < subs; ) {
  const n = Math.min(step, subs - made);
  const stepAcked = acked(opts.channel, n);
  for (let i = 0; i < n; i++) {
    const channel = await events.connect(opts.channel);
    channel.subscribe(observer);
    channels.push(channel);
  }
  made += n;
  await Promise.race([stepAcked, done]);
  // The socket's rate window (one second) that held this step is over before the next begins.
  if (made < subs) await new Promise((r) => setTimeout(r, 1100));
}
writeFileSync(opts['ready-file'], '');
const cpu0 = process.cpuUsage();
await done;
clearTimeout(timer);
const cpu = process.cpuUsage(cpu0);
const span = first === null ? 0 : Number(last - first) / 1e9;
const round3 = (x) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
const line = {
  label: opts.label, tool: 'amplify-events', measure: 'throughput', subs, publishes: Number(opts.publishes),
  events_per_publish: Number(opts.events), events: counted, errors, cut_short: counted < expected,
  events_per_s: round3(span > 0 ? counted / span : null), elapsed_s: round3(span),
  cpu_us_per_event: round3(counted > 0 ? (cpu.user + cpu.system) / counted : null),
};
console.error(
  `${opts.label || 'amplify-events'}: ${subs} subs: ${counted}/${expected} events in ${span.toFixed(2)}s: ` +
    `${line.events_per_s} events/s, CPU ${line.cpu_us_per_event} us/event, ${errors} errors`,
);
console.log(JSON.stringify(line));
for (const channel of channels) channel.close();
await events.closeAll();
process.exit(errors === 0 && counted === expected ? 0 : 1);
