// The npm peer for bench/emulator.sh: amplify-appsync-simulator (no standalone CLI) started with
// the emulator's demo schema, API-key auth, and NONE-data-source resolvers answering getPost and
// listPosts with the same ten posts that bench/emulator.sh stores in `appsync local`.
//
// Usage: NODE_PATH=<dir with node_modules> node simulator.js SCHEMA.graphql PORT WS_PORT API_KEY
// Listens on 127.0.0.1 only (the simulator itself would listen on every interface), prints
// "listening on http://127.0.0.1:PORT/graphql", and stops on SIGTERM/SIGINT or after an hour.
'use strict';

// Keeps the simulator on loopback (see simulator_common.js).
const { serveApi, run } = require('./simulator_common');


const [schemaPath, port, wsPort, apiKey] = process.argv.slice(2);
if (!schemaPath || !port || !wsPort || !apiKey) {
  console.error('usage: node simulator.js SCHEMA.graphql PORT WS_PORT API_KEY');
  process.exit(2);
}

const posts = Array.from({ length: 10 }, (_, i) => ({
  id: `bench-${i}`,
  title: `Post ${i}`,
  author: i % 2 === 0 ? 'alice' : 'bob',
  content: `Benchmark post number ${i}.`,
}));

const getPostRequest = `{
  "version": "2017-02-28",
  "payload": {
    "id": $util.toJson($ctx.args.id),
    "title": "Post 0",
    "author": "alice",
    "content": "Benchmark post number 0."
  }
}`;
const listPostsRequest = `{
  "version": "2017-02-28",
  "payload": ${JSON.stringify({ items: posts, nextToken: null })}
}`;
const response = '$util.toJson($ctx.result)';

async function main() {
  await serveApi({ name: 'bench', schemaPath, port, wsPort, apiKey }, {
    dataSources: [{ name: 'none', type: 'NONE' }],
    mappingTemplates: [
      { path: 'getPost.req.vtl', content: getPostRequest },
      { path: 'listPosts.req.vtl', content: listPostsRequest },
      { path: 'result.res.vtl', content: response },
    ],
    resolvers: [
      {
        kind: 'UNIT',
        typeName: 'Query',
        fieldName: 'getPost',
        dataSourceName: 'none',
        requestMappingTemplateLocation: 'getPost.req.vtl',
        responseMappingTemplateLocation: 'result.res.vtl',
      },
      {
        kind: 'UNIT',
        typeName: 'Query',
        fieldName: 'listPosts',
        dataSourceName: 'none',
        requestMappingTemplateLocation: 'listPosts.req.vtl',
        responseMappingTemplateLocation: 'result.res.vtl',
      },
    ],
  });
}

run(main);
