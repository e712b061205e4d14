// An APM/tracing fetch wrapper that logs each request's content type with `init.headers.get('content-type')`,
// assuming `headers` is a Headers object. Plain-object headers — which fetch accepts — make it throw a
// TypeError synchronously, but only for requests that carry headers (the widget's event POSTs; its config GET
// has none). Tracing agents wrap fetch to inject and read headers; getsentry/sentry-javascript#3318 is the SDK
// side of "a page's fetch may be broken".
(function () {
  var nativeFetch = window.fetch;
  window.fetch = function (input, init) {
    var type = init && init.headers ? init.headers.get('content-type') : '';
    window.hostApmTypes = (window.hostApmTypes || []).concat([type]);
    return nativeFetch.call(window, input, init);
  };
})();
