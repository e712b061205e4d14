// An old anchor-based URL shim forced over the native URL and URLSearchParams (pre-2016 polyfills did
// `window.URL = …` without feature detection; polyfill services serve them to every browser with a `|always`
// flag): URL parses through an <a> element and has no `origin` and no `searchParams`; URLSearchParams has
// get/set/has/append/toString but is not iterable and its constructor takes only a string.
(function () {
  var NativeURL = window.URL;
  function URL(url, base) {
    var a = document.createElement('a');
    if (base !== undefined) {
      var b = document.createElement('a');
      b.href = String(base);
      a.href = b.href;
      a.href = String(url);
    } else {
      a.href = String(url);
    }
    if (!/^[a-z][a-z0-9+.-]*:/i.test(a.href)) throw new TypeError('Invalid URL');
    this.href = a.href;
    this.protocol = a.protocol;
    this.host = a.host;
    this.hostname = a.hostname;
    this.port = a.port;
    this.pathname = a.pathname;
    this.search = a.search;
    this.hash = a.hash;
  }
  URL.prototype.toString = function () { return this.href; };
  URL.createObjectURL = NativeURL.createObjectURL;
  URL.revokeObjectURL = NativeURL.revokeObjectURL;
  function URLSearchParams(init) {
    this._list = [];
    var s = typeof init === 'string' ? init.replace(/^\?/, '') : '';
    var self = this;
    if (s) s.split('&').forEach(function (pair) {
      var i = pair.indexOf('=');
      var k = i < 0 ? pair : pair.slice(0, i), v = i < 0 ? '' : pair.slice(i + 1);
      self._list.push([decodeURIComponent(k.replace(/\+/g, ' ')), decodeURIComponent(v.replace(/\+/g, ' '))]);
    });
  }
  URLSearchParams.prototype = {
    get: function (k) { for (var i = 0; i < this._list.length; i++) if (this._list[i][0] === k) return this._list[i][1]; return null; },
    has: function (k) { return this.get(k) !== null; },
    set: function (k, v) { this._list = this._list.filter(function (p) { return p[0] !== k; }); this._list.push([k, String(v)]); },
    append: function (k, v) { this._list.push([k, String(v)]); },
    toString: function () { return this._list.map(function (p) { return encodeURIComponent(p[0]) + '=' + encodeURIComponent(p[1]); }).join('&'); },
  };
  window.URL = URL;
  window.URLSearchParams = URLSearchParams;
})();
