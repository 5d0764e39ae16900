// The utilities of the APPSYNC_JS runtime: `util`, `runtime`, `extensions` and `console`.
// Written for appsync-rs from AWS's guide ("Built-in utilities", "Time helpers in util.time",
// "DynamoDB helpers in util.dynamodb", "Transformation helpers in util.transform", "Runtime
// utilities", "Extensions") and the types of the npm package @aws-appsync/utils.
//
// This module runs once per worker, in a context of its own (the library realm); `lockdown`
// then freezes everything reachable in that realm, and each evaluation's fresh context gets
// these frozen objects through `realm.js` and `dynamodb_shim.js`. Everything that reaches outside
// (the clock, randomness, ids, encodings, Java patterns and formats, logs) goes through `host`,
// which Rust put on the global object for this module alone; what a handler asks of AppSync
// (errors, early return, filters, headers) is recorded in `host.state`, which Rust replaces
// before each evaluation and reads after it.

const host = globalThis.__appsync_host;
delete globalThis.__appsync_host;

// Ends the handler: `util.error`, `util.unauthorized` and `runtime.earlyReturn` throw this after
// recording what they mean, and Rust reads the record, not the exception.
class AppSyncStop extends Error {}

// Sets a property whatever its name: with this realm's `Object.prototype` frozen, plain
// assignment of a key such as `constructor` or `toString` would throw.
function setProperty(object, key, value) {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

// ---- what each evaluation's realm takes from this one ----
export const now = () => host.now();
export const random = () => host.random();

function show(value) {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return '[Function]';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json;
}
function logger(level) {
  return (...values) => {
    const line = values.map(show).join(' ');
    host.log(level, line);
    // Also in the evaluation's record, as EvaluateCode returns `logs`.
    const state = host.state;
    if (state) {
      if (!state.logs) state.logs = [];
      state.logs.push(line);
    }
  };
}
// To the emulator's logs, as AppSync sends `console` output to CloudWatch.
export const console = Object.freeze({
  log: logger('info'), info: logger('info'), warn: logger('warn'), error: logger('error'), debug: logger('debug'),
});

// ---- errors ----
function fieldError(message, errorType, data, errorInfo) {
  const error = { message: message === undefined ? '' : String(message) };
  if (errorType !== undefined && errorType !== null) error.errorType = String(errorType);
  if (data !== undefined && data !== null) error.data = data;
  if (errorInfo !== undefined && errorInfo !== null) error.errorInfo = errorInfo;
  return error;
}

function raise(message, errorType, data, errorInfo) {
  host.state.error = fieldError(message, errorType, data, errorInfo);
  throw new AppSyncStop(host.state.error.message);
}

function appendError(message, errorType, data, errorInfo) {
  const state = host.state;
  if (!state.errors) state.errors = [];
  state.errors.push(fieldError(message, errorType, data, errorInfo));
}

function unauthorized() {
  host.state.unauthorized = true;
  // What EvaluateCode reports (localstack/appsync-utils, __tests__/__snapshots__/resolvers.test.js.snap,
  // "error handling unauthorized"); the resolver words the GraphQL error AppSync's way.
  raise('Unauthorized', 'Unauthorized');
}

// ---- encodings ----
// Apache Commons' escapeEcmaScript, which AppSync's VTL util documents for escapeJavaScript.
function escapeJavaScript(value) {
  let out = '';
  for (const ch of String(value)) {
    const code = ch.codePointAt(0);
    switch (ch) {
      case '\'': out += '\\\''; break;
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '/': out += '\\/'; break;
      case '\b': out += '\\b'; break;
      case '\n': out += '\\n'; break;
      case '\t': out += '\\t'; break;
      case '\f': out += '\\f'; break;
      case '\r': out += '\\r'; break;
      default:
        if (code < 32 || code > 0x7e) {
          const units = code > 0xffff ? [0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 0x3ff)] : [code];
          out += units.map((u) => '\\u' + u.toString(16).toUpperCase().padStart(4, '0')).join('');
        } else {
          out += ch;
        }
    }
  }
  return out;
}

// ---- util.time ----
function zoneArg(zone) {
  return zone === undefined || zone === null ? [] : [String(zone)];
}
const time = Object.freeze({
  nowISO8601: () => host.iso8601(host.now()),
  nowEpochSeconds: () => Math.floor(host.now() / 1000),
  nowEpochMilliSeconds: () => host.now(),
  nowFormatted: (format, zone) => host.formatTime(host.now(), String(format), ...zoneArg(zone)),
  parseFormattedToEpochMilliSeconds: (text, format, zone) =>
    host.parseTime(String(text), String(format), ...zoneArg(zone)),
  parseISO8601ToEpochMilliSeconds: (text) => host.parseIso8601(String(text)),
  epochMilliSecondsToSeconds: (millis) => Math.floor(millis / 1000),
  epochMilliSecondsToISO8601: (millis) => host.iso8601(millis),
  epochMilliSecondsToFormatted: (millis, format, zone) => host.formatTime(millis, String(format), ...zoneArg(zone)),
});

// ---- util.dynamodb ----
function toMapValues(object) {
  if (object === null || object === undefined) return null;
  const out = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) setProperty(out, key, toDynamoDB(value));
  }
  return out;
}

// Numbers stay numbers: `toDynamoDB(12345)` is `{"N":12345}` (localstack/appsync-utils,
// __tests__/__snapshots__/index.test.js.snap, "toDynamoDB number", recorded from AWS).
function toDynamoDB(value) {
  if (value === null || value === undefined) return { NULL: null };
  switch (typeof value) {
    case 'string': return { S: value };
    case 'number': return { N: value };
    case 'boolean': return { BOOL: value };
    default:
  }
  if (Array.isArray(value)) return { L: value.map(toDynamoDB) };
  if (typeof value === 'object') return { M: toMapValues(value) };
  return null;
}

function wrap(type) {
  return (value) => (value === null || value === undefined ? null : { [type]: value });
}

const dynamodb = Object.freeze({
  toDynamoDB,
  toMapValues,
  toString: wrap('S'),
  toStringSet: wrap('SS'),
  toNumber: wrap('N'),
  toNumberSet: wrap('NS'),
  toBinary: wrap('B'),
  toBinarySet: wrap('BS'),
  toBoolean: wrap('BOOL'),
  toNull: () => ({ NULL: null }),
  toList: (list) => (list === null || list === undefined ? null : { L: list.map(toDynamoDB) }),
  toMap: (object) => (object === null || object === undefined ? null : { M: toMapValues(object) }),
  toS3Object(key, bucket, region, version) {
    const s3 = { key, bucket, region };
    if (version !== undefined) s3.version = version;
    return { S: JSON.stringify({ s3 }) };
  },
  fromS3ObjectJson(text) {
    const parsed = JSON.parse(typeof text === 'object' && text !== null && 'S' in text ? text.S : text);
    return parsed.s3;
  },
});

// ---- util.transform ----
const COMPARISONS = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' };
const ATTRIBUTE_TYPES = {
  _null: 'NULL', string: 'S', stringSet: 'SS', number: 'N', numberSet: 'NS', binary: 'B', binarySet: 'BS',
  boolean: 'BOOL', list: 'L', map: 'M',
};

// One grammar for filters and conditions: each test in parentheses, tests of one field and the
// members of `and`/`or` joined and parenthesised when more than one, `not` before its group. The
// recorded outputs (index.test.js.snap, "toDynamoDBFilterMap" and
// "toDynamoDBConditionExpression") fix the spelling: `(contains(#title,:title_contains))`,
// `(attribute_exists(#id)) AND (#version = :version_eq)`.
function expressionOf(filter, prefix) {
  const names = {};
  const values = {};
  const valueName = (field, op) => ':' + [prefix, field, op].filter((p) => p).join('_');
  function group(parts, joiner) {
    const kept = parts.filter((p) => p);
    if (kept.length === 0) return '';
    return kept.length === 1 ? kept[0] : '(' + kept.join(` ${joiner} `) + ')';
  }
  function fieldTests(field, ops) {
    const name = '#' + field;
    const tests = [];
    for (const [op, operand] of Object.entries(ops ?? {})) {
      if (operand === undefined) continue;
      names[name] = field;
      const v = valueName(field, op);
      if (op in COMPARISONS) {
        values[v] = toDynamoDB(operand);
        tests.push(`(${name} ${COMPARISONS[op]} ${v})`);
      } else if (op === 'contains' || op === 'notContains' || op === 'beginsWith') {
        values[v] = toDynamoDB(operand);
        const fn = op === 'beginsWith' ? 'begins_with' : 'contains';
        tests.push(`(${op === 'notContains' ? 'NOT ' : ''}${fn}(${name},${v}))`);
      } else if (op === 'between') {
        if (!Array.isArray(operand) || operand.length !== 2) {
          raise(`between on '${field}' needs an array of two values`, 'Code');
        }
        values[v + '_1'] = toDynamoDB(operand[0]);
        values[v + '_2'] = toDynamoDB(operand[1]);
        tests.push(`(${name} BETWEEN ${v}_1 AND ${v}_2)`);
      } else if (op === 'in') {
        if (!Array.isArray(operand)) raise(`in on '${field}' needs an array`, 'Code');
        const members = operand.map((item, i) => {
          values[`${v}_${i}`] = toDynamoDB(item);
          return `${v}_${i}`;
        });
        tests.push(`(${name} IN (${members.join(',')}))`);
      } else if (op === 'attributeExists') {
        tests.push(`(${operand ? 'attribute_exists' : 'attribute_not_exists'}(${name}))`);
      } else if (op === 'attributeType') {
        values[v] = toDynamoDB(ATTRIBUTE_TYPES[operand] ?? operand);
        tests.push(`(attribute_type(${name},${v}))`);
      } else if (op === 'size') {
        const sizeTests = [];
        for (const [sizeOp, n] of Object.entries(operand ?? {})) {
          const sv = valueName(field, 'size_' + sizeOp);
          if (sizeOp in COMPARISONS) {
            values[sv] = toDynamoDB(n);
            sizeTests.push(`(size(${name}) ${COMPARISONS[sizeOp]} ${sv})`);
          } else if (sizeOp === 'between') {
            values[sv + '_1'] = toDynamoDB(n[0]);
            values[sv + '_2'] = toDynamoDB(n[1]);
            sizeTests.push(`(size(${name}) BETWEEN ${sv}_1 AND ${sv}_2)`);
          }
        }
        tests.push(group(sizeTests, 'AND'));
      } else {
        raise(`unsupported operator '${op}' on '${field}'`, 'Code');
      }
    }
    return group(tests, 'AND');
  }
  function walk(node, path) {
    const parts = [];
    for (const [key, value] of Object.entries(node ?? {})) {
      if (value === undefined || value === null) continue;
      if (key === 'and' || key === 'or') {
        const members = Array.isArray(value) ? value : [value];
        const inner = members.map((member, i) => {
          const sub = expressionOf(member, [path, key, i].filter((p) => p !== '').join('_'));
          Object.assign(names, sub.expressionNames);
          Object.assign(values, sub.expressionValues);
          return sub.expression;
        });
        parts.push(group(inner, key === 'and' ? 'AND' : 'OR'));
      } else if (key === 'not') {
        const sub = expressionOf(value, [path, 'not'].filter((p) => p !== '').join('_'));
        Object.assign(names, sub.expressionNames);
        Object.assign(values, sub.expressionValues);
        if (sub.expression) parts.push(`(NOT ${sub.expression})`);
      } else {
        parts.push(fieldTests(key, value));
      }
    }
    return parts.filter((p) => p).join(' AND ');
  }
  const expression = walk(filter, prefix ?? '');
  return { expression, expressionNames: names, expressionValues: values };
}

function filterExpression(filter) {
  return JSON.stringify(expressionOf(filter, ''));
}

const SUBSCRIPTION_OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in', 'notIn', 'between', 'beginsWith',
  'contains', 'notContains', 'containsAny'];

function subscriptionFilters(node, ignored) {
  const filters = [];
  for (const [field, ops] of Object.entries(node ?? {})) {
    if (field === 'and' || field === 'or' || ignored.includes(field) || ops === undefined) continue;
    for (const [operator, value] of Object.entries(ops ?? {})) {
      if (!SUBSCRIPTION_OPERATORS.includes(operator)) raise(`unsupported subscription filter operator '${operator}'`, 'Code');
      filters.push({ fieldName: field, operator, value });
    }
  }
  return filters;
}

function toSubscriptionFilter(object, ignoredFields, rules) {
  const ignored = ignoredFields ?? [];
  const base = subscriptionFilters(object, ignored);
  let groups = [];
  if (object && Array.isArray(object.or)) {
    groups = object.or.map((member) => base.concat(subscriptionFilters(member, ignored)));
  } else if (object && Array.isArray(object.and)) {
    groups = [object.and.reduce((all, member) => all.concat(subscriptionFilters(member, ignored)), base)];
  } else {
    groups = [base];
  }
  // Rules: at least one must hold, so each group is repeated with each rule.
  const ruleFilters = subscriptionFilters(rules ?? {}, []);
  if (ruleFilters.length > 0) {
    groups = groups.flatMap((group) => ruleFilters.map((rule) => group.concat([rule])));
  }
  return { filterGroup: groups.map((filters) => ({ filters })) };
}

function elasticsearchQuery(node) {
  const clauses = [];
  for (const [key, ops] of Object.entries(node ?? {})) {
    if (key === 'and' || key === 'or') {
      const inner = (ops ?? []).map(elasticsearchQuery);
      clauses.push({ bool: { [key === 'and' ? 'must' : 'should']: inner } });
      continue;
    }
    if (key === 'not') {
      clauses.push({ bool: { must_not: elasticsearchQuery(ops) } });
      continue;
    }
    const fieldClauses = [];
    for (const [op, value] of Object.entries(ops ?? {})) {
      switch (op) {
        case 'eq': fieldClauses.push({ term: { [key]: value } }); break;
        case 'ne': fieldClauses.push({ bool: { must_not: { term: { [key]: value } } } }); break;
        case 'gt': case 'gte': case 'lt': case 'lte': fieldClauses.push({ range: { [key]: { [op]: value } } }); break;
        case 'range': fieldClauses.push({ range: { [key]: { gte: value[0], lte: value[1] } } }); break;
        case 'match': case 'wildcard': case 'regexp': fieldClauses.push({ [op]: { [key]: value } }); break;
        case 'matchPhrase': fieldClauses.push({ match_phrase: { [key]: value } }); break;
        case 'matchPhrasePrefix': fieldClauses.push({ match_phrase_prefix: { [key]: value } }); break;
        case 'multiMatch': fieldClauses.push({ multi_match: { ...value } }); break;
        case 'exists': fieldClauses.push(value ? { exists: { field: key } } : { bool: { must_not: { exists: { field: key } } } }); break;
        default: raise(`unsupported OpenSearch operator '${op}' on '${key}'`, 'Code');
      }
    }
    clauses.push(fieldClauses.length === 1 ? fieldClauses[0] : { bool: { must: fieldClauses } });
  }
  return clauses.length === 1 ? clauses[0] : { bool: { must: clauses } };
}

const transform = Object.freeze({
  toDynamoDBFilterExpression: filterExpression,
  toDynamoDBConditionExpression: filterExpression,
  toSubscriptionFilter,
  toElasticsearchQueryDSL: (query) => JSON.stringify(elasticsearchQuery(query)),
});

// ---- util.str, util.math, util.http, util.xml ----
const str = Object.freeze({
  normalize: (value, form) => String(value).normalize(String(form).toUpperCase()),
});

const math = Object.freeze({
  roundNum: (n) => Math.round(n),
  minVal: (a, b) => Math.min(a, b),
  maxVal: (a, b) => Math.max(a, b),
  randomDouble: () => host.random(),
  randomWithinRange: (start, end) => start + Math.floor(host.random() * (end - start + 1)),
});

// Headers AppSync does not let a resolver forward or set (hop-by-hop and its own).
const RESTRICTED_HEADERS = ['authorization', 'connection', 'content-length', 'expect', 'host', 'keep-alive',
  'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'x-api-key'];
const http = Object.freeze({
  copyHeaders(headers) {
    const out = {};
    for (const [name, value] of Object.entries(headers ?? {})) {
      const lower = name.toLowerCase();
      if (!RESTRICTED_HEADERS.includes(lower) && !lower.startsWith('x-amz-') && !lower.startsWith('x-amzn-')) {
        setProperty(out, name, value);
      }
    }
    return out;
  },
  addResponseHeader(name, value) {
    const state = host.state;
    if (!state.responseHeaders) state.responseHeaders = {};
    setProperty(state.responseHeaders, String(name), value);
  },
  addResponseHeaders(headers) {
    for (const [name, value] of Object.entries(headers ?? {})) http.addResponseHeader(name, value);
  },
});

// A small XML reader for util.xml: elements become properties, repeated elements arrays,
// attributes properties of their element, text of a leaf its value (numbers and booleans as
// such, as the guide's example shows `"id":1`).
function xmlToMap(xml) {
  const text = String(xml);
  let i = 0;
  const decode = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&apos;/g, '\'').replace(/&amp;/g, '&');
  const scalar = (s) => {
    const t = s.trim();
    if (/^-?\d+(\.\d+)?$/.test(t) && t.length < 16) return Number(t);
    if (t === 'true') return true;
    if (t === 'false') return false;
    return decode(t);
  };
  function skipMisc() {
    for (;;) {
      const rest = text.slice(i).trimStart();
      i = text.length - rest.length;
      if (rest.startsWith('<?')) { i = text.indexOf('?>', i) + 2; }
      else if (rest.startsWith('<!--')) { i = text.indexOf('-->', i) + 3; }
      else if (rest.startsWith('<!')) { i = text.indexOf('>', i) + 1; }
      else return;
      if (i <= 1) raise('util.xml: unterminated markup', 'Code');
    }
  }
  function element() {
    const open = /^<([^\s/>]+)([^>]*?)(\/?)>/.exec(text.slice(i));
    if (!open) raise('util.xml: malformed XML', 'Code');
    i += open[0].length;
    const name = open[1];
    const node = {};
    for (const attr of open[2].matchAll(/([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
      setProperty(node, attr[1], scalar(attr[3] ?? attr[4]));
    }
    if (open[3] === '/') return [name, Object.keys(node).length ? node : null];
    let content = '';
    let hasChildren = false;
    for (;;) {
      const close = text.indexOf('<', i);
      if (close < 0) raise(`util.xml: <${name}> is not closed`, 'Code');
      content += text.slice(i, close);
      i = close;
      if (text.startsWith('</', i)) {
        i = text.indexOf('>', i) + 1;
        break;
      }
      if (text.startsWith('<!--', i)) { i = text.indexOf('-->', i) + 3; continue; }
      hasChildren = true;
      const [childName, childValue] = element();
      if (childName in node) {
        if (!Array.isArray(node[childName])) setProperty(node, childName, [node[childName]]);
        node[childName].push(childValue);
      } else {
        setProperty(node, childName, childValue);
      }
    }
    if (!hasChildren && Object.keys(node).length === 0) return [name, scalar(content)];
    if (!hasChildren && content.trim()) setProperty(node, 'content', scalar(content));
    return [name, node];
  }
  skipMisc();
  if (i >= text.length) return null;
  const [rootName, rootValue] = element();
  return { [rootName]: rootValue };
}

const xml = Object.freeze({
  toMap: xmlToMap,
  toJsonString: (value, stringEncode) => {
    const json = JSON.stringify(xmlToMap(value));
    return stringEncode ? JSON.stringify(json) : json;
  },
});

// ---- util, runtime, extensions ----
export const util = Object.freeze({
  error: raise,
  appendError,
  unauthorized,
  autoId: () => host.autoId(),
  autoUlid: () => host.autoUlid(),
  autoKsuid: () => host.autoKsuid(),
  urlEncode: (value) => host.urlEncode(String(value)),
  urlDecode: (value) => host.urlDecode(String(value)),
  base64Encode: (value) => host.base64Encode(String(value)),
  base64Decode: (value) => host.base64Decode(String(value)),
  escapeJavaScript,
  matches: (pattern, value) => host.matches(String(pattern), String(value)),
  authType: () => host.authType,
  time,
  dynamodb,
  transform,
  str,
  math,
  http,
  xml,
});

export const runtime = Object.freeze({
  earlyReturn(value, options) {
    const skipTo = options?.skipTo ?? 'NEXT';
    if (skipTo !== 'NEXT' && skipTo !== 'END') raise(`earlyReturn: skipTo must be 'END' or 'NEXT', not '${skipTo}'`, 'Code');
    host.state.earlyReturn = { value: value === undefined ? null : value, skipTo };
    throw new AppSyncStop('earlyReturn');
  },
});

export const extensions = Object.freeze({
  setSubscriptionFilter(filter) {
    host.state.subscriptionFilter = filter;
  },
  setSubscriptionInvalidationFilter(filter) {
    host.state.subscriptionInvalidationFilter = filter;
  },
  invalidateSubscriptions(invalidation) {
    const state = host.state;
    if (!state.invalidations) state.invalidations = [];
    state.invalidations.push(invalidation);
  },
  evictFromApiCache(typeName, fieldName, keys) {
    const state = host.state;
    if (!state.cacheEvictions) state.cacheEvictions = [];
    state.cacheEvictions.push({ typeName, fieldName, keys });
  },
});

// Freezes everything reachable from this realm's globals, its intrinsics that no global names
// (the iterator prototypes) and `roots`: the frozen objects each evaluation shares can then carry
// nothing from one evaluation to the next. Module namespaces are walked, not frozen (they cannot
// be). Run once, after the modules of this realm are loaded.
export function lockdown(...roots) {
  const iteratorPrototypes = [
    Object.getPrototypeOf([][Symbol.iterator]()),
    Object.getPrototypeOf(new Map().entries()),
    Object.getPrototypeOf(new Set().values()),
    Object.getPrototypeOf(''[Symbol.iterator]()),
    Object.getPrototypeOf(/x/[Symbol.matchAll]('')),
  ];
  const seen = new Set();
  const pending = [globalThis, ...iteratorPrototypes, util, runtime, extensions, console, AppSyncStop, ...roots];
  while (pending.length > 0) {
    const value = pending.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    if (value[Symbol.toStringTag] !== 'Module') Object.freeze(value);
    pending.push(Object.getPrototypeOf(value));
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined) continue;
      if ('value' in descriptor) pending.push(descriptor.value);
      else pending.push(descriptor.get, descriptor.set);
    }
  }
}
