// Prototype.js 1.6.0.x, still on old Magento 1 / Rails 2 shops: the parts that break third-party scripts.
// - Array.prototype.toJSON (and Date/Hash/String ones) make native JSON.stringify turn arrays into strings:
//   segmentio/analytics.js#626 ("o.queue.push is not a function"), prototypejs/prototype#344, faye/faye#4.
// - Enumerable is copied onto Array.prototype as enumerable properties, replacing the native map, filter, find,
//   some, every and entries (entries = toArray!), and 1.6.0 also replaced Array.prototype.reduce.
// - Function.prototype.bind with partial application only (no `new`, wrong length) — the MooTools/Prototype
//   kind reported in paypal/paypal-checkout-components#236.
// Written from the behaviour of Prototype 1.6.0.3; not its code.
(function () {
  var $break = {};
  var K = function (x) { return x; };
  function $A(iterable) {
    if (!iterable) return [];
    if (iterable.toArray) return iterable.toArray();
    var length = iterable.length || 0, results = new Array(length);
    while (length--) results[length] = iterable[length];
    return results;
  }
  function extend(dest, src) { for (var p in src) dest[p] = src[p]; return dest; }
  window.$A = $A;
  window.$break = $break;
  window.Prototype = { Version: '1.6.0.3', K: K, emptyFunction: function () {} };

  extend(Object, {
    extend: extend,
    isUndefined: function (o) { return typeof o === 'undefined'; },
    isFunction: function (o) { return typeof o === 'function'; },
    isString: function (o) { return typeof o === 'string'; },
    isArray: function (o) { return o != null && typeof o === 'object' && 'splice' in o && 'join' in o; },
    keys: function (o) { var r = []; for (var p in o) r.push(p); return r; },
    values: function (o) { var r = []; for (var p in o) r.push(o[p]); return r; },
    clone: function (o) { return extend({}, o); },
    inspect: function (o) { return o === undefined ? 'undefined' : o === null ? 'null' : o.inspect ? o.inspect() : String(o); },
    toJSON: function (object) {
      switch (typeof object) {
        case 'undefined': case 'function': case 'unknown': return;
        case 'boolean': return object.toString();
      }
      if (object === null) return 'null';
      if (object.toJSON) return object.toJSON();
      if (object.nodeType === 1) return;
      var results = [];
      for (var property in object) {
        var value = Object.toJSON(object[property]);
        if (value !== undefined) results.push(property.toJSON() + ': ' + value);
      }
      return '{' + results.join(', ') + '}';
    },
  });

  extend(Function.prototype, {
    argumentNames: function () {
      var names = this.toString().match(/^[\s\(]*function[^(]*\(([^\)]*)\)/);
      return names ? names[1].replace(/\s+/g, '').split(',') : [];
    },
    bind: function () {
      if (arguments.length < 2 && arguments[0] === undefined) return this;
      var __method = this, args = $A(arguments), object = args.shift();
      return function () { return __method.apply(object, args.concat($A(arguments))); };
    },
    curry: function () {
      if (!arguments.length) return this;
      var __method = this, args = $A(arguments);
      return function () { return __method.apply(this, args.concat($A(arguments))); };
    },
    defer: function () { var __method = this, args = $A(arguments); return window.setTimeout(function () { return __method.apply(__method, args); }, 10); },
    methodize: function () {
      if (this._methodized) return this._methodized;
      var __method = this;
      return (this._methodized = function () { return __method.apply(null, [this].concat($A(arguments))); });
    },
  });

  var specialChar = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '\\': '\\\\' };
  extend(String.prototype, {
    strip: function () { return this.replace(/^\s+/, '').replace(/\s+$/, ''); },
    include: function (pattern) { return this.indexOf(pattern) > -1; },
    startsWith: function (pattern) { return this.indexOf(pattern) === 0; },
    endsWith: function (pattern) { var d = this.length - pattern.length; return d >= 0 && this.lastIndexOf(pattern) === d; },
    empty: function () { return this == ''; },
    blank: function () { return /^\s*$/.test(this); },
    escapeHTML: function () { return this.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); },
    inspect: function (useDoubleQuotes) {
      var escaped = this.replace(/[\x00-\x1f\\]/g, function (c) {
        return c in specialChar ? specialChar[c] : '\\u00' + ('0' + c.charCodeAt(0).toString(16)).slice(-2);
      });
      return useDoubleQuotes ? '"' + escaped.replace(/"/g, '\\"') + '"' : "'" + escaped.replace(/'/g, "\\'") + "'";
    },
    toJSON: function () { return this.inspect(true); },
  });
  Number.prototype.toJSON = function () { return isFinite(this) ? this.toString() : 'null'; };
  Date.prototype.toJSON = function () {
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return '"' + this.getUTCFullYear() + '-' + pad(this.getUTCMonth() + 1) + '-' + pad(this.getUTCDate()) + 'T' +
      pad(this.getUTCHours()) + ':' + pad(this.getUTCMinutes()) + ':' + pad(this.getUTCSeconds()) + 'Z"';
  };

  var Enumerable = {
    each: function (iterator, context) {
      var index = 0;
      try { this._each(function (value) { iterator.call(context, value, index++); }); }
      catch (e) { if (e != $break) throw e; }
      return this;
    },
    all: function (iterator, context) {
      iterator = iterator ? iterator.bind(context) : K;
      var result = true;
      this.each(function (value, index) { result = result && !!iterator(value, index); if (!result) throw $break; });
      return result;
    },
    any: function (iterator, context) {
      iterator = iterator ? iterator.bind(context) : K;
      var result = false;
      this.each(function (value, index) { if ((result = !!iterator(value, index))) throw $break; });
      return result;
    },
    collect: function (iterator, context) {
      iterator = iterator ? iterator.bind(context) : K;
      var results = [];
      this.each(function (value, index) { results.push(iterator(value, index)); });
      return results;
    },
    detect: function (iterator, context) {
      iterator = iterator.bind(context);
      var result;
      this.each(function (value, index) { if (iterator(value, index)) { result = value; throw $break; } });
      return result;
    },
    findAll: function (iterator, context) {
      iterator = iterator.bind(context);
      var results = [];
      this.each(function (value, index) { if (iterator(value, index)) results.push(value); });
      return results;
    },
    include: function (object) {
      var found = false;
      this.each(function (value) { if (value == object) { found = true; throw $break; } });
      return found;
    },
    inject: function (memo, iterator, context) {
      iterator = iterator.bind(context);
      this.each(function (value, index) { memo = iterator(memo, value, index); });
      return memo;
    },
    invoke: function (method) {
      var args = $A(arguments).slice(1);
      return this.map(function (value) { return value[method].apply(value, args); });
    },
    pluck: function (property) { var results = []; this.each(function (value) { results.push(value[property]); }); return results; },
    toArray: function () { return this.map(); },
    size: function () { return this.toArray().length; },
    inspect: function () { return '#<Enumerable:' + this.toArray().inspect() + '>'; },
  };
  extend(Enumerable, {
    map: Enumerable.collect,
    find: Enumerable.detect,
    select: Enumerable.findAll,
    filter: Enumerable.findAll,
    member: Enumerable.include,
    entries: Enumerable.toArray,
    every: Enumerable.all,
    some: Enumerable.any,
  });
  window.Enumerable = Enumerable;

  extend(Array.prototype, Enumerable);
  if (!Array.prototype._reverse) Array.prototype._reverse = Array.prototype.reverse;
  extend(Array.prototype, {
    _each: Array.prototype.forEach,
    clear: function () { this.length = 0; return this; },
    first: function () { return this[0]; },
    last: function () { return this[this.length - 1]; },
    compact: function () { return this.select(function (value) { return value != null; }); },
    without: function () {
      var values = $A(arguments);
      return this.select(function (value) { return !values.include(value); });
    },
    reverse: function (inline) { return (inline !== false ? this : this.toArray())._reverse(); },
    reduce: function () { return this.length > 1 ? this : this[0]; },
    uniq: function () {
      return this.inject([], function (array, value) { if (!array.include(value)) array.push(value); return array; });
    },
    clone: function () { return [].concat(this); },
    size: function () { return this.length; },
    inspect: function () { return '[' + this.map(Object.inspect).join(', ') + ']'; },
    toJSON: function () {
      var results = [];
      this.each(function (object) {
        var value = Object.toJSON(object);
        if (value !== undefined) results.push(value);
      });
      return '[' + results.join(', ') + ']';
    },
  });
  // Enumerable's own toArray maps with itself: on arrays it is the array's clone.
  Array.prototype.toArray = Array.prototype.clone;

  function Hash(object) { this._object = object instanceof Hash ? object.toObject() : Object.clone(object); }
  extend(Hash.prototype, {
    _each: function (iterator) {
      for (var key in this._object) { var pair = [key, this._object[key]]; pair.key = key; pair.value = this._object[key]; iterator(pair); }
    },
    get: function (key) { if (this._object[key] !== Object.prototype[key]) return this._object[key]; },
    set: function (key, value) { return (this._object[key] = value); },
    toObject: function () { return Object.clone(this._object); },
    toJSON: function () { return Object.toJSON(this.toObject()); },
  });
  window.Hash = Hash;
  window.$H = function (object) { return new Hash(object); };
  window.Class = {
    create: function () {
      var parent = null, properties = $A(arguments);
      if (Object.isFunction(properties[0])) parent = properties.shift();
      function klass() { this.initialize.apply(this, arguments); }
      klass.superclass = parent;
      for (var i = 0; i < properties.length; i++) extend(klass.prototype, properties[i]);
      if (!klass.prototype.initialize) klass.prototype.initialize = K;
      return klass;
    },
  };
})();
