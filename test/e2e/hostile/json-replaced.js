// window.JSON replaced by an old hand-written JSON library (the json2-era encoders bundled with legacy
// themes and CMS plugins), as in paypal/paypal-checkout-components#635 ("Something in the page is overwriting
// window.JSON"). Its stringify ignores the replacer and space arguments, calls toJSON, and escapes every
// character outside printable ASCII as \uXXXX — still valid JSON, but not the bytes native JSON writes.
(function () {
  var nativeParse = JSON.parse;
  var meta = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };
  function quote(s) {
    return '"' + s.replace(/[\u0000-\u001f"\\\u007f-\uffff]/g, function (c) {
      return meta[c] || '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
    }) + '"';
  }
  function str(value) {
    if (value && typeof value === 'object' && typeof value.toJSON === 'function') value = value.toJSON();
    switch (typeof value) {
      case 'string': return quote(value);
      case 'number': return isFinite(value) ? String(value) : 'null';
      case 'boolean': return String(value);
      case 'object':
        if (!value) return 'null';
        var parts = [];
        if (Object.prototype.toString.apply(value) === '[object Array]') {
          for (var i = 0; i < value.length; i++) parts.push(str(value[i]) || 'null');
          return '[' + parts.join(',') + ']';
        }
        for (var k in value) {
          if (Object.prototype.hasOwnProperty.call(value, k)) {
            var v = str(value[k]);
            if (v) parts.push(quote(k) + ':' + v);
          }
        }
        return '{' + parts.join(',') + '}';
    }
  }
  window.JSON = {
    stringify: function (value) { return str(value); },
    parse: function (text) { return nativeParse(text); },
  };
})();
