// The npm peer for bench/realtime.sh: amplify-appsync-simulator 2.4.1 with the emulator's demo
// schema, API-key auth, and a NONE-data-source createPost resolver that echoes its input (with
// an id), so that createPost mutations fan out to onCreatePost subscriptions over the
// simulator's real-time WebSocket (graphql-ws, on the HTTP port at /graphql).
//
// Usage: NODE_PATH=<dir with node_modules> node simulator_realtime.js SCHEMA.graphql PORT WS_PORT API_KEY
// Listens on 127.0.0.1 only, prints "listening on http://127.0.0.1:PORT/graphql", and stops on
// SIGTERM/SIGINT or after an hour.
'use strict';

// Keeps the simulator on loopback (see simulator_common.js).
const { serveApi, run } = require('./simulator_common');


const [schemaPath, port, wsPort, apiKey] = process.argv.slice(2);
if (!schemaPath || !port || !wsPort || !apiKey) {
  console.error('usage: node simulator_realtime.js SCHEMA.graphql PORT WS_PORT API_KEY');
  process.exit(2);
}

// The input as the new post, with a generated id: what the emulator's default resolver returns
// for the fields the benchmark selects.
const createPostRequest = `{
  "version": "2017-02-28",
  "payload": {
    "id": "$util.autoId()",
    "title": $util.toJson($ctx.args.input.title),
    "author": $util.toJson($ctx.args.input.author),
    "content": $util.toJson($ctx.args.input.content)
  }
}`;
const response = '$util.toJson($ctx.result)';

async function main() {
  await serveApi({ name: 'bench-realtime', schemaPath, port, wsPort, apiKey }, {
    dataSources: [{ name: 'none', type: 'NONE' }],
    mappingTemplates: [
      { path: 'createPost.req.vtl', content: createPostRequest },
      { path: 'result.res.vtl', content: response },
    ],
    resolvers: [
      {
        kind: 'UNIT',
        typeName: 'Mutation',
        fieldName: 'createPost',
        dataSourceName: 'none',
        requestMappingTemplateLocation: 'createPost.req.vtl',
        responseMappingTemplateLocation: 'result.res.vtl',
      },
    ],
  });
}

run(main);
