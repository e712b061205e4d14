// A naive fetch-logging wrapper of the kind copied into shop themes and tag-manager tags ("count every API
// call"): it forwards only the URL, so every request becomes a plain GET — the method, body, headers,
// keepalive, credentials and signal are lost. Wrappers that replace native fetch are common (Sentry wraps it
// for breadcrumbs: getsentry/sentry-javascript#2345); this one is broken.
(function () {
  var nativeFetch = window.fetch;
  var calls = 0;
  window.fetch = function (input) {
    calls++;
    return nativeFetch.call(window, input);
  };
  window.hostFetchCalls = function () { return calls; };
})();
