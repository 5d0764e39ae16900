// Hardens a worker's evaluation context so that it can serve many evaluations, one after the
// other, with nothing one of them does visible to the next (see `sandbox.rs`, "Pooled contexts").
// It runs once per context, after `realm.js` and `dynamodb_shim.js` have set the globals up, and
// leaves:
// - every object reachable from the global object frozen, with the intrinsics no global names
//   (iterator, generator and async function prototypes) reached through values of those kinds;
// - every global that exists now read-only and non-configurable;
// - `reset`, which Rust calls after each evaluation: it deletes the globals the evaluation added.
// Resolver code cannot import this module (only AppSync's two module names resolve), so `reset`
// and what it holds are out of its reach.

// Taken before anything is frozen or any resolver code has run, so that `reset` relies on
// nothing an evaluation could reach.
const ownKeys = Reflect.ownKeys;
const deleteProperty = Reflect.deleteProperty;
const isExtensible = Object.isExtensible;
const freeze = Object.freeze;
const isFrozen = Object.isFrozen;
const defineProperty = Object.defineProperty;
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const getPrototypeOf = Object.getPrototypeOf;
const global = globalThis;
const TypeErrorConstructor = TypeError;

// With `Object.prototype` frozen, assigning a property that an object inherits from it
// (`item.constructor = 'x'`, `counts[word] = 1` for the word `toString`) would throw in strict
// code ("the override mistake"). Turning those inherited data properties into accessors whose
// setter defines the property on the object assigned to keeps such assignments working, as they
// do in a fresh context.
function tameOverrides(prototype) {
  for (const key of ownKeys(prototype)) {
    const descriptor = getOwnPropertyDescriptor(prototype, key);
    if (!('value' in descriptor) || !descriptor.writable || !descriptor.configurable) continue;
    const value = descriptor.value;
    defineProperty(prototype, key, {
      get() {
        return value;
      },
      set(replacement) {
        if (this === prototype) {
          throw new TypeErrorConstructor(`'${String(key)}' is read-only`);
        }
        defineProperty(this, key, { value: replacement, writable: true, enumerable: true, configurable: true });
      },
      enumerable: descriptor.enumerable,
      configurable: false,
    });
  }
}

const errorConstructors = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];
if (typeof AggregateError === 'function') errorConstructors.push(AggregateError);
// Only these: an accessor costs a call on every read, and arrays' and functions' methods are read
// far more often than anyone assigns over them.
for (const prototype of [Object.prototype, ...errorConstructors.map((c) => c.prototype)]) {
  tameOverrides(prototype);
}

// `Error.stackTraceLimit` and `Error.prepareStackTrace` are accessors over the context's own
// state, which freezing `Error` would not stop their setters from changing: they become
// read-only data properties holding the values QuickJS uses.
for (const key of ['stackTraceLimit', 'prepareStackTrace']) {
  const descriptor = getOwnPropertyDescriptor(Error, key);
  if (descriptor !== undefined && !('value' in descriptor)) {
    defineProperty(Error, key, { value: Error[key], writable: false, enumerable: false, configurable: false });
  }
}

// Values whose prototypes are intrinsics that no global names.
const hidden = [
  function* generator() {},
  async function asyncFunction() {},
  async function* asyncGenerator() {},
  [][Symbol.iterator](),
  new Map().entries(),
  new Set().values(),
  ''[Symbol.iterator](),
  /x/[Symbol.matchAll](''),
];
if (typeof Iterator === 'function') {
  hidden.push([].values().map((x) => x));
  if (typeof Iterator.from === 'function') hidden.push(Iterator.from({ next: () => ({ done: true }) }));
}

function freezeReachable(roots) {
  const seen = new Set();
  const pending = [...roots];
  while (pending.length > 0) {
    const value = pending.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    // Only the library realm's objects (`util` and the rest) are frozen before this runs, and
    // everything they reach was frozen with them: walking them again would double the work.
    if (isFrozen(value)) continue;
    pending.push(getPrototypeOf(value));
    for (const key of ownKeys(value)) {
      const descriptor = getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined) continue;
      if ('value' in descriptor) pending.push(descriptor.value);
      else pending.push(descriptor.get, descriptor.set);
    }
    // The global object stays extensible (an evaluation may add globals; `reset` removes them);
    // a module namespace cannot be frozen and its bindings are the module's own.
    if (value !== global && value[Symbol.toStringTag] !== 'Module') freeze(value);
  }
}
freezeReachable([global, ...hidden]);

const baseline = new Set();
for (const key of ownKeys(global)) {
  baseline.add(key);
  const descriptor = getOwnPropertyDescriptor(global, key);
  if ('value' in descriptor) descriptor.writable = false;
  descriptor.configurable = false;
  defineProperty(global, key, descriptor);
}
const has = Set.prototype.has;

// Deletes the globals an evaluation added. False when the context cannot be brought back to
// its state after set-up (a global defined non-configurable, the global object made
// non-extensible): the worker then discards the context.
export function reset() {
  for (const key of ownKeys(global)) {
    if (!has.call(baseline, key) && !deleteProperty(global, key)) return false;
  }
  return isExtensible(global);
}
