// The `@aws-appsync/utils/dynamodb` module: builders of DynamoDB data source requests. Loaded
// once per worker in the library realm (see utils.js); evaluations see it through
// `dynamodb_shim.js`.
// Written for appsync-rs from AWS's guide ("DynamoDB built-in module") and the types of the npm
// package @aws-appsync/utils; the request shapes below that AWS's EvaluateCode recorded are
// cited where they are built (localstack/appsync-utils, __tests__/__snapshots__/index.test.js.snap).

import { util } from '@aws-appsync/utils';

const { toMapValues, toDynamoDB } = util.dynamodb;

// Sets a property whatever its name (this realm's `Object.prototype` is frozen, see utils.js).
function setProperty(object, key, value) {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

function defined(object) {
  const out = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined && value !== null) setProperty(out, key, value);
  }
  return out;
}

function expression(filter) {
  if (filter === undefined || filter === null) return undefined;
  const parsed = JSON.parse(util.transform.toDynamoDBFilterExpression(filter));
  return parsed.expression ? parsed : undefined;
}

function projection(fields) {
  if (!Array.isArray(fields) || fields.length === 0) return undefined;
  const names = {};
  const parts = fields.map((field) => String(field).split('.').map((segment) => {
    names['#' + segment] = segment;
    return '#' + segment;
  }).join('.'));
  return { expression: parts.join(','), expressionNames: names };
}

function required(payload, field, operation) {
  if (payload === undefined || payload === null || payload[field] === undefined || payload[field] === null) {
    util.error(`${operation}: '${field}' is required`, 'Code');
  }
  return payload[field];
}

// `{"key":{"id":{"S":"id"}},"operation":"GetItem"}` (snapshot "DynamoDB module functions get").
export function get(payload) {
  return defined({
    operation: 'GetItem',
    key: toMapValues(required(payload, 'key', 'get')),
    consistentRead: payload.consistentRead,
    projection: projection(payload.projection),
  });
}

// The item goes to `attributeValues` (snapshot "DynamoDB module functions put").
export function put(payload) {
  return defined({
    operation: 'PutItem',
    key: toMapValues(required(payload, 'key', 'put')),
    attributeValues: toMapValues(payload.item ?? {}),
    condition: expression(payload.condition),
    customPartitionKey: payload.customPartitionKey,
    populateIndexFields: payload.populateIndexFields,
    _version: payload._version,
  });
}

// Snapshot "DynamoDB module functions remove".
export function remove(payload) {
  return defined({
    operation: 'DeleteItem',
    key: toMapValues(required(payload, 'key', 'remove')),
    condition: expression(payload.condition),
    customPartitionKey: payload.customPartitionKey,
    populateIndexFields: payload.populateIndexFields,
    _version: payload._version,
  });
}

function listing(operation, payload) {
  return {
    operation,
    index: payload.index,
    limit: payload.limit,
    nextToken: payload.nextToken,
    filter: expression(payload.filter),
    consistentRead: payload.consistentRead,
    projection: projection(payload.projection),
    select: payload.select,
    scanIndexForward: payload.scanIndexForward,
  };
}

// Only the given fields: `{"limit":10,"nextToken":"abc","operation":"Scan"}` (snapshot
// "DynamoDB module functions scan").
export function scan(payload) {
  return defined({
    ...listing('Scan', payload ?? {}),
    segment: payload?.segment,
    totalSegments: payload?.totalSegments,
  });
}

export function query(payload) {
  return defined({
    ...listing('Query', payload),
    query: expression(required(payload, 'query', 'query')),
  });
}

export const operations = Object.freeze({
  add: (value) => ({ type: 'OPERATION_ADD', value }),
  append: (items) => ({ type: 'OPERATION_APPEND', items }),
  decrement: (by) => ({ type: 'OPERATION_DECREMENT', by }),
  increment: (by) => ({ type: 'OPERATION_INCREMENT', by }),
  prepend: (items) => ({ type: 'OPERATION_PREPEND', items }),
  replace: (value) => ({ type: 'OPERATION_REPLACE', value }),
  remove: () => ({ type: 'OPERATION_REMOVE' }),
  updateListItem: (value, index) => ({ type: 'OPERATION_UPDATE_LIST_ITEM', value, index }),
});

const OPERATION_TYPES = new Set(Object.values(operations).map((op) => op(undefined, 0).type));

// Update expressions as recorded (snapshots "DynamoDB module functions update *"):
// `SET #expName_1 = :expValue_1` for a value, replace and add; `#expName_1 + :expValue_1` and
// `- :expValue_1` for increment and decrement; `list_append(#expName_1, :expValue_1)` for append
// and `list_append(:expValue_1, #expName_1)` for prepend. Names and values are numbered from 1 in
// the order of the update object.
function updateExpression(update) {
  const sets = [];
  const removes = [];
  const expressionNames = {};
  const expressionValues = {};
  let counter = 0;
  for (const [field, change] of Object.entries(update ?? {})) {
    if (change === undefined) continue;
    counter += 1;
    const name = `#expName_${counter}`;
    const value = `:expValue_${counter}`;
    expressionNames[name] = field;
    const isOperation = change !== null && typeof change === 'object' && OPERATION_TYPES.has(change.type);
    if (!isOperation) {
      expressionValues[value] = toDynamoDB(change);
      sets.push(`${name} = ${value}`);
      continue;
    }
    switch (change.type) {
      case 'OPERATION_ADD':
      case 'OPERATION_REPLACE':
        expressionValues[value] = toDynamoDB(change.value);
        sets.push(`${name} = ${value}`);
        break;
      case 'OPERATION_INCREMENT':
        expressionValues[value] = toDynamoDB(change.by);
        sets.push(`${name} = ${name} + ${value}`);
        break;
      case 'OPERATION_DECREMENT':
        expressionValues[value] = toDynamoDB(change.by);
        sets.push(`${name} = ${name} - ${value}`);
        break;
      case 'OPERATION_APPEND':
        expressionValues[value] = toDynamoDB(change.items);
        sets.push(`${name} = list_append(${name}, ${value})`);
        break;
      case 'OPERATION_PREPEND':
        expressionValues[value] = toDynamoDB(change.items);
        sets.push(`${name} = list_append(${value}, ${name})`);
        break;
      case 'OPERATION_UPDATE_LIST_ITEM':
        expressionValues[value] = toDynamoDB(change.value);
        sets.push(`${name}[${Number(change.index)}] = ${value}`);
        break;
      case 'OPERATION_REMOVE':
        removes.push(name);
        break;
      default:
    }
  }
  const clauses = [];
  if (sets.length) clauses.push('SET ' + sets.join(', '));
  if (removes.length) clauses.push('REMOVE ' + removes.join(', '));
  const result = { expression: clauses.join(' '), expressionNames };
  if (Object.keys(expressionValues).length) result.expressionValues = expressionValues;
  return result;
}

export function update(payload) {
  return defined({
    operation: 'UpdateItem',
    key: toMapValues(required(payload, 'key', 'update')),
    update: updateExpression(required(payload, 'update', 'update')),
    condition: expression(payload.condition),
    customPartitionKey: payload.customPartitionKey,
    populateIndexFields: payload.populateIndexFields,
    _version: payload._version,
  });
}

export function batchGet(payload) {
  const tables = {};
  for (const [table, spec] of Object.entries(required(payload, 'tables', 'batchGet'))) {
    setProperty(tables, table, defined({
      keys: (spec.keys ?? []).map(toMapValues),
      consistentRead: spec.consistentRead,
      projection: projection(spec.projection),
    }));
  }
  return { operation: 'BatchGetItem', tables };
}

export function batchPut(payload) {
  const tables = {};
  for (const [table, items] of Object.entries(required(payload, 'tables', 'batchPut'))) {
    setProperty(tables, table, items.map(toMapValues));
  }
  return { operation: 'BatchPutItem', tables };
}

export function batchDelete(payload) {
  const tables = {};
  for (const [table, keys] of Object.entries(required(payload, 'tables', 'batchDelete'))) {
    setProperty(tables, table, keys.map(toMapValues));
  }
  return { operation: 'BatchDeleteItem', tables };
}

export function transactGet(payload) {
  return {
    operation: 'TransactGetItems',
    transactItems: required(payload, 'items', 'transactGet').map((item) => defined({
      table: item.table,
      key: toMapValues(item.key),
      projection: projection(item.projection),
    })),
  };
}

export function transactWrite(payload) {
  return {
    operation: 'TransactWriteItems',
    transactItems: required(payload, 'items', 'transactWrite').map((item) => defined({
      table: item.table,
      operation: item.operation,
      key: toMapValues(item.key),
      attributeValues: item.item === undefined ? undefined : toMapValues(item.item),
      update: item.update === undefined ? undefined : updateExpression(item.update),
      condition: expression(item.condition),
    })),
  };
}

export const toStringSet = util.dynamodb.toStringSet;
export const toNumberSet = util.dynamodb.toNumberSet;
export const toBinarySet = util.dynamodb.toBinarySet;
