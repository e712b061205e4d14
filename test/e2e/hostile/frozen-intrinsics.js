// Hardened JavaScript on the host: SES `lockdown()` (Agoric; MetaMask's LavaMoat) and the "freeze the
// prototypes" defence against prototype pollution (Node's --frozen-intrinsics does the same) freeze every
// builtin constructor and prototype. Code that assigns to an inherited property (`obj.toString = …`,
// `err.name = …` — the "override mistake") then throws in strict mode, and nothing can be patched.
(function () {
  var seen = [];
  function freeze(o) {
    if (!o || (typeof o !== 'object' && typeof o !== 'function') || seen.indexOf(o) >= 0) return;
    seen.push(o);
    Object.freeze(o);
    freeze(Object.getPrototypeOf(o));
    if (typeof o === 'function') freeze(o.prototype);
  }
  var iter = Object.getPrototypeOf([][Symbol.iterator]());
  var gen = Object.getPrototypeOf(function* () {});
  var asyncFn = Object.getPrototypeOf(async function () {});
  [
    Object, Array, Function, Promise, Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
    AggregateError, Map, Set, WeakMap, WeakSet, RegExp, Date, String, Number, Boolean, Symbol, BigInt, ArrayBuffer,
    Uint8Array, Object.getPrototypeOf(Uint8Array), DataView, Proxy, JSON, Math, Reflect, Intl,
    iter, Object.getPrototypeOf(iter), Object.getPrototypeOf(new Map().entries()), Object.getPrototypeOf(new Set().values()),
    Object.getPrototypeOf(''[Symbol.iterator]()), gen, gen.prototype, asyncFn,
  ].forEach(freeze);
})();
