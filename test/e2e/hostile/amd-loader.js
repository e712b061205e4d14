// An AMD loader on the page (RequireJS 2.x, as Magento 2 and many themes ship): a global `define` with
// `define.amd`, and `require`/`requirejs`; plus CommonJS-looking `module`/`exports` globals leaked by a
// badly bundled script. UMD bundles that see them register with the loader instead of running — a widget
// that must run as a plain script must not be fooled.
(function () {
  var registry = {};
  var anonymous = [];
  function define(name, deps, factory) {
    if (typeof name !== 'string') { factory = deps; deps = name; name = null; }
    if (!Array.isArray(deps)) { factory = deps; deps = []; }
    if (name) registry[name] = { deps: deps, factory: factory };
    else anonymous.push({ deps: deps, factory: factory });
  }
  define.amd = { jQuery: true };
  function require(deps, callback) {
    var mods = [].concat(deps).map(function (d) {
      var m = registry[d];
      return m && (typeof m.factory === 'function' ? m.factory() : m.factory);
    });
    if (typeof callback === 'function') setTimeout(function () { callback.apply(null, mods); }, 0);
    return mods[0];
  }
  require.config = function () {};
  window.define = define;
  window.require = window.requirejs = require;
  window.module = { exports: {} };
  window.exports = window.module.exports;
  window.hostAmdAnonymousModules = function () { return anonymous.length; };
})();
