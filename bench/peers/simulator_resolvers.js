// The npm peer for bench/resolvers.sh: amplify-appsync-simulator (no standalone CLI) serving the
// benchmark's schemas with VTL resolvers equivalent to the APPSYNC_JS ones in bench/data/*.yaml
// (the simulator runs VTL only):
// - `pipeline`: Query.quote through a two-function pipeline over a NONE data source
//   (bench/data/pipeline.yaml);
// - `orders`: GetItem, PutItem and Query unit resolvers (bench/data/orders.yaml) on a DynamoDB data
//   source pointed at moto's server at MOTO_URL; the table is created there first.
//
// Usage: NODE_PATH=<dir with node_modules> node simulator_resolvers.js MODE SCHEMA.graphql PORT WS_PORT API_KEY [MOTO_URL]
// Listens on 127.0.0.1 only, prints "listening on http://127.0.0.1:PORT/graphql", and stops on
// SIGTERM/SIGINT or after an hour.
'use strict';

// Keeps the simulator on loopback (see simulator_common.js).
const { serveApi, run } = require('./simulator_common');


const [mode, schemaPath, port, wsPort, apiKey, motoUrl] = process.argv.slice(2);
if (!['pipeline', 'orders'].includes(mode) || !schemaPath || !port || !wsPort || !apiKey || (mode === 'orders' && !motoUrl)) {
  console.error('usage: node simulator_resolvers.js pipeline|orders SCHEMA.graphql PORT WS_PORT API_KEY [MOTO_URL]');
  process.exit(2);
}

// The pipeline of bench/data/pipeline.yaml in VTL: function 1 looks the product up and stashes
// it, function 2 prices the order from the stash and the arguments.
const pipeline = {
  dataSources: [{ name: 'None', type: 'NONE' }],
  mappingTemplates: [
    { path: 'quote.before.vtl', content: '{}' },
    { path: 'quote.after.vtl', content: '$util.toJson($ctx.prev.result)' },
    {
      path: 'lookupPrice.req.vtl',
      content: `#set($prices = {"ACME": 12.5, "GLOBEX": 7.25, "INITECH": 3.1, "UMBRELLA": 42})
#set($sku = $ctx.args.sku.trim().toUpperCase())
#set($unitPrice = $prices.get($sku))
#if($util.isNull($unitPrice))
  $util.error("unknown product $sku", "NotFound")
#end
$util.qr($ctx.stash.put("sku", $sku))
{"version": "2018-05-29", "payload": {"sku": $util.toJson($sku), "unitPrice": $unitPrice}}`,
    },
    {
      path: 'lookupPrice.res.vtl',
      content: `$util.qr($ctx.stash.put("unitPrice", $ctx.result.unitPrice))
$util.toJson($ctx.result)`,
    },
    {
      path: 'priceOrder.req.vtl',
      content: `#set($quantity = $ctx.args.quantity)
#set($total = $ctx.stash.unitPrice * $quantity)
{"version": "2018-05-29", "payload": {
  "sku": $util.toJson($ctx.stash.sku),
  "quantity": $quantity,
  "unitPrice": $ctx.stash.unitPrice,
  "total": $total,
  "currency": "EUR",
  "label": $util.toJson("$quantity x $ctx.stash.sku")
}}`,
    },
    { path: 'priceOrder.res.vtl', content: '$util.toJson($ctx.result)' },
  ],
  functions: [
    {
      name: 'lookupPrice',
      dataSourceName: 'None',
      requestMappingTemplateLocation: 'lookupPrice.req.vtl',
      responseMappingTemplateLocation: 'lookupPrice.res.vtl',
    },
    {
      name: 'priceOrder',
      dataSourceName: 'None',
      requestMappingTemplateLocation: 'priceOrder.req.vtl',
      responseMappingTemplateLocation: 'priceOrder.res.vtl',
    },
  ],
  resolvers: [
    {
      kind: 'PIPELINE',
      typeName: 'Query',
      fieldName: 'quote',
      functions: ['lookupPrice', 'priceOrder'],
      requestMappingTemplateLocation: 'quote.before.vtl',
      responseMappingTemplateLocation: 'quote.after.vtl',
    },
  ],
};

// The resolvers of bench/data/orders.yaml in VTL, on the table `Orders` in moto.
const raiseError = '#if($ctx.error)\n  $util.error($ctx.error.message, $ctx.error.type)\n#end\n';
const orders = {
  dataSources: [
    {
      name: 'Orders',
      type: 'AMAZON_DYNAMODB',
      config: {
        endpoint: motoUrl,
        region: 'us-east-1',
        accessKeyId: 'AKIDMOTO',
        secretAccessKey: 'moto-secret',
        tableName: 'Orders',
      },
    },
  ],
  mappingTemplates: [
    {
      path: 'getOrder.req.vtl',
      content: `{"version": "2018-05-29", "operation": "GetItem", "key": {
  "customerId": $util.dynamodb.toDynamoDBJson($ctx.args.customerId),
  "orderId": $util.dynamodb.toDynamoDBJson($ctx.args.orderId)
}}`,
    },
    {
      path: 'putOrder.req.vtl',
      content: `#set($input = $ctx.args.input)
#set($values = {"product": $input.product, "quantity": $input.quantity, "total": $input.total, "status": $input.status})
{"version": "2018-05-29", "operation": "PutItem", "key": {
  "customerId": $util.dynamodb.toDynamoDBJson($input.customerId),
  "orderId": $util.dynamodb.toDynamoDBJson($input.orderId)
}, "attributeValues": $util.dynamodb.toMapValuesJson($values)}`,
    },
    {
      path: 'ordersOf.req.vtl',
      content: `{"version": "2018-05-29", "operation": "Query",
 "query": {"expression": "customerId = :c", "expressionValues": {":c": $util.dynamodb.toDynamoDBJson($ctx.args.customerId)}},
 "limit": $util.defaultIfNull($ctx.args.limit, 10)
 #if($ctx.args.nextToken), "nextToken": $util.toJson($ctx.args.nextToken)#end
}`,
    },
    { path: 'item.res.vtl', content: `${raiseError}$util.toJson($ctx.result)` },
    {
      path: 'page.res.vtl',
      content: `${raiseError}{"items": $util.toJson($ctx.result.items), "nextToken": $util.toJson($ctx.result.nextToken)}`,
    },
  ],
  resolvers: [
    ['Query', 'getOrder', 'getOrder.req.vtl', 'item.res.vtl'],
    ['Mutation', 'putOrder', 'putOrder.req.vtl', 'item.res.vtl'],
    ['Query', 'ordersOf', 'ordersOf.req.vtl', 'page.res.vtl'],
  ].map(([typeName, fieldName, req, res]) => ({
    kind: 'UNIT',
    typeName,
    fieldName,
    dataSourceName: 'Orders',
    requestMappingTemplateLocation: req,
    responseMappingTemplateLocation: res,
  })),
};

// The table of bench/data/orders.yaml, created in moto (a fresh moto server holds none).
async function createTable() {
  const { DynamoDB } = require('aws-sdk');
  const client = new DynamoDB({ endpoint: motoUrl, region: 'us-east-1', accessKeyId: 'AKIDMOTO', secretAccessKey: 'moto-secret' });
  await client
    .createTable({
      TableName: 'Orders',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'orderId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'customerId', KeyType: 'HASH' },
        { AttributeName: 'orderId', KeyType: 'RANGE' },
      ],
    })
    .promise();
}

async function main() {
  const config = mode === 'pipeline' ? pipeline : orders;
  if (mode === 'orders') await createTable();
  await serveApi({ name: 'bench', schemaPath, port, wsPort, apiKey }, config);
}

run(main);
