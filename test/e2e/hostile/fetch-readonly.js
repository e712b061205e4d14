// Globals a script may not replace: in Firefox add-on content scripts and hardened sandboxes, `fetch` is
// non-writable and non-configurable, and zone.js crashed trying to patch it (angular/angular#36142,
// angular/angular#36588, angular/zone.js#1115; lquixada/cross-fetch#137). The widget must not try to patch
// host globals, so it must not notice. Promise, XMLHttpRequest, JSON and navigator.sendBeacon are locked too.
(function () {
  ['fetch', 'Promise', 'XMLHttpRequest', 'JSON'].forEach(function (name) {
    Object.defineProperty(window, name, { value: window[name], writable: false, configurable: false, enumerable: false });
  });
  Object.defineProperty(navigator, 'sendBeacon', { value: navigator.sendBeacon, writable: false, configurable: false });
})();
