// What the amplify-appsync-simulator peers (simulator.js, simulator_realtime.js,
// simulator_resolvers.js) share: the simulator kept on loopback, and one way to configure, start,
// announce and stop it.
'use strict';

const fs = require('fs');
const net = require('net');

// The simulator listens on every interface (HTTP and its MQTT-over-WebSocket port); a benchmark
// peer must not, so every server opened in this process is forced onto loopback. Requiring this
// module applies it.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1');
  } else if (args[0] && typeof args[0] === 'object' && !args[0].path && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};

// Starts an initialised simulator, prints the line the bench scripts wait for, and stops it on
// SIGTERM/SIGINT or after an hour, whichever comes first (a forgotten peer never outlives a run).
async function serve(simulator, port) {
  await simulator.start();
  console.log(`listening on http://127.0.0.1:${port}/graphql`);
  const stop = () => {
    simulator.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setTimeout(stop, 3600 * 1000).unref();
}

// Starts amplify-appsync-simulator on PORT/WS_PORT with the SDL in SCHEMA_PATH, API-key auth only,
// and the peer's data sources, mapping templates and resolvers (`config`), then serves it.
async function serveApi({ name, schemaPath, port, wsPort, apiKey }, config) {
  const { AmplifyAppSyncSimulator } = require('amplify-appsync-simulator');
  const simulator = new AmplifyAppSyncSimulator({ port: Number(port), wsPort: Number(wsPort) });
  simulator.init({
    schema: { content: fs.readFileSync(schemaPath, 'utf8') },
    appSync: {
      name,
      defaultAuthenticationType: { authenticationType: 'API_KEY' },
      apiKey,
      additionalAuthenticationProviders: [],
    },
    ...config,
  });
  await serve(simulator, port);
}

// Runs a peer's async main; a failure is printed and ends the process with status 1.
function run(main) {
  main().catch((e) => {
    console.error('simulator failed:', e);
    process.exit(1);
  });
}

module.exports = { serveApi, run };
