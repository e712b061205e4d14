// Douglas Crockford's original json.js (2007, the predecessor of json2.js), still bundled with old plugins: it
// adds enumerable toJSONString methods to Object.prototype and Array.prototype (and friends), so every
// for…in loop over any object or array in the page sees an extra key. This is why json2.js replaced it, and why
// libraries guard for…in with hasOwnProperty. Written from its documented behaviour.
(function () {
  function quote(s) { return '"' + s.replace(/["\\\u0000-\u001f]/g, function (c) { return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4); }) + '"'; }
  Object.prototype.toJSONString = function () {
    var a = [];
    for (var k in this) {
      if (this.hasOwnProperty(k)) {
        var v = this[k];
        if (v !== undefined && typeof v !== 'function') a.push(quote(k) + ':' + (v === null ? 'null' : v.toJSONString()));
      }
    }
    return '{' + a.join(',') + '}';
  };
  Array.prototype.toJSONString = function () {
    var a = [];
    for (var i = 0; i < this.length; i++) {
      var v = this[i];
      a.push(v === undefined || v === null || typeof v === 'function' ? 'null' : v.toJSONString());
    }
    return '[' + a.join(',') + ']';
  };
  Boolean.prototype.toJSONString = function () { return String(this); };
  Number.prototype.toJSONString = function () { return isFinite(this) ? String(this) : 'null'; };
  String.prototype.toJSONString = function () { return quote(String(this)); };
  Date.prototype.toJSONString = function () { return quote(this.toISOString()); };
  String.prototype.parseJSON = function () { return JSON.parse(String(this)); };
})();
