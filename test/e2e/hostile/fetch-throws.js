// An APM-style fetch wrapper written for call sites that pass a Request object: it reads `input.url` and
// `input.method` before calling through, so `fetch('https://…', init)` with a string URL throws a TypeError
// synchronously, before any promise exists. getsentry/sentry-javascript#3318 ("invalid fetch implementations")
// is the SDK side of this: a page's fetch cannot be trusted.
(function () {
  var nativeFetch = window.fetch;
  window.fetch = function (input, init) {
    var started = Date.now();
    var label = input.method.toUpperCase() + ' ' + input.url.split('?')[0];
    return nativeFetch.call(window, input, init).then(function (res) {
      window.hostApmLog = (window.hostApmLog || []).concat([label + ' ' + res.status + ' ' + (Date.now() - started) + 'ms']);
      return res;
    });
  };
})();
