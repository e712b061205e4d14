// Early ES6 collection and Symbol shims installed over the native ones (WebReflection's es6-collections era,
// core-js 1.x-style Symbol; bundles that assign them unconditionally): Map, Set, WeakMap and WeakSet backed by
// arrays, with no iterator protocol, keys()/values()/entries() returning plain arrays, `size` a method, and
// constructors that ignore their iterable argument; Symbol a function of strings ("@@iterator").
(function () {
  function indexOf(list, key) {
    for (var i = 0; i < list.length; i++) if (list[i] === key || (list[i] !== list[i] && key !== key)) return i;
    return -1;
  }
  function Map() { this._k = []; this._v = []; }
  Map.prototype = {
    constructor: Map,
    get: function (k) { var i = indexOf(this._k, k); return i < 0 ? undefined : this._v[i]; },
    set: function (k, v) { var i = indexOf(this._k, k); if (i < 0) { this._k.push(k); this._v.push(v); } else this._v[i] = v; return this; },
    has: function (k) { return indexOf(this._k, k) >= 0; },
    'delete': function (k) { var i = indexOf(this._k, k); if (i < 0) return false; this._k.splice(i, 1); this._v.splice(i, 1); return true; },
    clear: function () { this._k.length = 0; this._v.length = 0; },
    size: function () { return this._k.length; },
    keys: function () { return this._k.slice(); },
    values: function () { return this._v.slice(); },
    entries: function () { var k = this._k, v = this._v; return k.map(function (key, i) { return [key, v[i]]; }); },
    forEach: function (fn, self) { for (var i = 0; i < this._k.length; i++) fn.call(self, this._v[i], this._k[i], this); },
  };
  function Set() { this._k = []; }
  Set.prototype = {
    constructor: Set,
    add: function (k) { if (indexOf(this._k, k) < 0) this._k.push(k); return this; },
    has: function (k) { return indexOf(this._k, k) >= 0; },
    'delete': function (k) { var i = indexOf(this._k, k); if (i < 0) return false; this._k.splice(i, 1); return true; },
    clear: function () { this._k.length = 0; },
    size: function () { return this._k.length; },
    values: function () { return this._k.slice(); },
    keys: function () { return this._k.slice(); },
    forEach: function (fn, self) { for (var i = 0; i < this._k.length; i++) fn.call(self, this._k[i], this._k[i], this); },
  };
  function WeakMap() { Map.call(this); }
  WeakMap.prototype = { constructor: WeakMap, get: Map.prototype.get, set: Map.prototype.set, has: Map.prototype.has, 'delete': Map.prototype['delete'] };
  function WeakSet() { Set.call(this); }
  WeakSet.prototype = { constructor: WeakSet, add: Set.prototype.add, has: Set.prototype.has, 'delete': Set.prototype['delete'] };
  var counter = 0;
  function Symbol(description) { return '@@' + (description || '') + '_' + counter++; }
  Symbol.iterator = '@@iterator';
  Symbol.asyncIterator = '@@asyncIterator';
  Symbol.toStringTag = '@@toStringTag';
  Symbol.hasInstance = '@@hasInstance';
  Symbol['for'] = function (key) { return '@@' + key; };
  window.Map = Map;
  window.Set = Set;
  window.WeakMap = WeakMap;
  window.WeakSet = WeakSet;
  window.Symbol = Symbol;
})();
