// APIs that are simply not there: Safari has no requestIdleCallback; plain-HTTP shops (not a secure context)
// and Safari before 15.4 have no navigator.locks; Chrome before 98 and Safari before 15.4 have no
// structuredClone; and production themes replace `console` with a stub that has only log(), to silence third
// parties. (queueMicrotask stays: every engine that parses the widget's ES2020 syntax has it.)
(function () {
  delete window.requestIdleCallback;
  delete window.cancelIdleCallback;
  delete window.structuredClone;
  Object.defineProperty(Navigator.prototype, 'locks', { get: function () { return undefined; }, configurable: true });
  window.console = { log: function () {} };
})();
