// The Amplify JS v6 `events` client (aws-amplify, installed by bench/events_publish.sh under
// target/bench-events-node) as the peer of `loadgen events --measure publish`: PUBLISHES HTTP
// publishes (`events.post`) of EVENTS events each to CHANNEL, CONCURRENCY at a time, after
// WARMUP publishes one at a time that are not counted. Publishes per second and this process's
// CPU per publish; one JSON line on stdout, as loadgen's.
//
// Usage: node amplify_events_post_peer.mjs --url https://127.0.0.1:PORT/event --api-key KEY
//   [--channel /default/bench] [--publishes 2000] [--events 5] [--concurrency 1] [--warmup 50]
//   [--label L]
// The emulator's CA must be trusted through NODE_EXTRA_CA_CERTS.
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';

const opts = {
  channel: '/default/bench', publishes: '2000', events: '5', concurrency: '1', warmup: '50', label: '',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  opts[argv[i].replace(/^--/, '')] = argv[i + 1];
}
if (!opts.url || !opts['api-key']) {
  console.error('usage: node amplify_events_post_peer.mjs --url URL --api-key KEY [...]');
  process.exit(2);
}
const publishes = Number(opts.publishes);
const perPublish = Number(opts.events);
const concurrency = Math.max(1, Number(opts.concurrency));

Amplify.configure({
  API: { Events: { endpoint: opts.url, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey: opts['api-key'] } },
});

// The same events as loadgen's publisher sends.
const batch = (n, text) => Array.from({ length: perPublish }, (_, i) => ({ n, i, text }));

for (let n = 0; n < Number(opts.warmup); n++) {
  const failed = await events.post(opts.channel, batch(n, 'warm-up'));
  if (failed?.length) {
    console.error(`amplify events post: warm-up publish ${n} refused: ${JSON.stringify(failed)}`);
    process.exit(1);
  }
}

let next = 0;
let sent = 0;
let failedCount = 0;
async function worker() {
  for (;;) {
    const n = next++;
    if (n >= publishes) return;
    try {
      // `post` resolves to the list of refused events, or to nothing when all were accepted.
      const failed = await events.post(opts.channel, batch(n, 'benchmark event'));
      if (failed?.length) failedCount += 1;
    } catch (e) {
      failedCount += 1;
      console.error(`amplify events post: publish ${n}: ${e?.message ?? e}`);
    }
    sent += 1;
  }
}

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, worker));
const span = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const round3 = (x) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
const line = {
  label: opts.label, tool: 'amplify-events', measure: 'publish', publishes: sent, events_per_publish: perPublish,
  concurrency, failed: failedCount, cut_short: sent < publishes, elapsed_s: round3(span),
  publishes_per_s: round3(span > 0 ? sent / span : null),
  cpu_us_per_publish: round3(sent > 0 ? (cpu.user + cpu.system) / sent : null),
};
console.error(
  `${opts.label || 'amplify-events'}: ${sent} publishes in ${span.toFixed(2)}s (${line.publishes_per_s} a second, ` +
    `CPU ${line.cpu_us_per_publish} us each), ${failedCount} failed`,
);
console.log(JSON.stringify(line));
process.exit(failedCount === 0 && sent === publishes ? 0 : 1);
