// A wrapper installed after the widget has loaded: a tag manager fires an "all pages, window loaded" tag that
// wraps fetch to log calls and forwards only the URL (so POSTs become GETs). Nothing is wrong when the widget
// starts; a widget that looks up the global `fetch` on every send breaks later, one that kept the fetch it
// found at load does not.
(function () {
  addEventListener('load', function () {
    setTimeout(function () {
      var nativeFetch = window.fetch;
      window.fetch = function (input) {
        return nativeFetch.call(window, input);
      };
    }, 0);
  });
})();
