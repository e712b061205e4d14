// A Promise polyfill installed over the native one, as sites did with es6-promise 3.x or Bluebird
// (`window.Promise = ES6Promise.Promise`, "Bluebird as the global Promise"): Promises/A+ then/catch and
// resolve/reject/all/race only — no finally, allSettled or any — with callbacks run from setTimeout, not as
// microtasks. `async` functions still make native promises; anything the code builds with `Promise` is this.
(function () {
  var PENDING = 0, FULFILLED = 1, REJECTED = 2;
  function asap(fn) { setTimeout(fn, 0); }
  function Promise(resolver) {
    if (typeof resolver !== 'function') throw new TypeError('You must pass a resolver function as the first argument to the promise constructor');
    if (!(this instanceof Promise)) throw new TypeError("Failed to construct 'Promise': Please use the 'new' operator");
    var self = this;
    self._state = PENDING;
    self._value = undefined;
    self._subscribers = [];
    var done = false;
    try {
      resolver(function (v) { if (!done) { done = true; resolve(self, v); } }, function (r) { if (!done) { done = true; settle(self, REJECTED, r); } });
    } catch (e) {
      if (!done) { done = true; settle(self, REJECTED, e); }
    }
  }
  function settle(p, state, value) {
    if (p._state !== PENDING) return;
    p._state = state;
    p._value = value;
    var subs = p._subscribers;
    p._subscribers = [];
    if (subs.length) asap(function () { for (var i = 0; i < subs.length; i++) subs[i](); });
  }
  function resolve(p, x) {
    if (p === x) return settle(p, REJECTED, new TypeError('You cannot resolve a promise with itself'));
    if (x && (typeof x === 'object' || typeof x === 'function')) {
      var then;
      try { then = x.then; } catch (e) { return settle(p, REJECTED, e); }
      if (typeof then === 'function') {
        var called = false;
        try {
          then.call(x, function (y) { if (!called) { called = true; resolve(p, y); } }, function (r) { if (!called) { called = true; settle(p, REJECTED, r); } });
        } catch (e) {
          if (!called) { called = true; settle(p, REJECTED, e); }
        }
        return;
      }
    }
    settle(p, FULFILLED, x);
  }
  Promise.prototype.then = function (onFulfilled, onRejected) {
    var parent = this;
    var child = new Promise(function () {});
    function run() {
      var cb = parent._state === FULFILLED ? onFulfilled : onRejected;
      if (typeof cb !== 'function') return parent._state === FULFILLED ? resolve(child, parent._value) : settle(child, REJECTED, parent._value);
      var x;
      try { x = cb(parent._value); } catch (e) { return settle(child, REJECTED, e); }
      resolve(child, x);
    }
    if (parent._state === PENDING) parent._subscribers.push(run);
    else asap(run);
    return child;
  };
  Promise.prototype['catch'] = function (onRejected) { return this.then(null, onRejected); };
  Promise.resolve = function (v) { if (v && v.constructor === Promise) return v; return new Promise(function (res) { res(v); }); };
  Promise.reject = function (r) { return new Promise(function (_, rej) { rej(r); }); };
  Promise.all = function (entries) {
    return new Promise(function (res, rej) {
      var list = Array.prototype.slice.call(entries), left = list.length, out = new Array(left);
      if (!left) return res(out);
      list.forEach(function (item, i) {
        Promise.resolve(item).then(function (v) { out[i] = v; if (--left === 0) res(out); }, rej);
      });
    });
  };
  Promise.race = function (entries) {
    return new Promise(function (res, rej) {
      Array.prototype.slice.call(entries).forEach(function (item) { Promise.resolve(item).then(res, rej); });
    });
  };
  window.Promise = Promise;
})();
