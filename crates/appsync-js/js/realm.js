// `@aws-appsync/utils` as each evaluation's fresh context sees it: the frozen utilities of the
// worker's library realm (utils.js), also as globals (the package declares `util`, `runtime` and
// `extensions` global), and this realm's clock and randomness taken from the host.

const realm = globalThis.__appsync_realm;
delete globalThis.__appsync_realm;

export const util = realm.util;
export const runtime = realm.runtime;
export const extensions = realm.extensions;

globalThis.util = util;
globalThis.runtime = runtime;
globalThis.extensions = extensions;
globalThis.console = realm.console;

Math.random = realm.random;

const NativeDate = Date;
function HostDate(...args) {
  if (!new.target) {
    return new NativeDate(realm.now()).toString();
  }
  return args.length === 0 ? Reflect.construct(NativeDate, [realm.now()], new.target)
    : Reflect.construct(NativeDate, args, new.target);
}
HostDate.prototype = NativeDate.prototype;
HostDate.now = realm.now;
HostDate.parse = NativeDate.parse;
HostDate.UTC = NativeDate.UTC;
globalThis.Date = HostDate;
