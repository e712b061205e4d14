// No navigator.sendBeacon: privacy hardening turns it off (Firefox's beacon.enabled=false, set by the arkenfox
// user.js and similar guides), and some blockers remove it. Leaving a page must still deliver what is pending,
// by another way, with the same bytes.
(function () {
  delete Navigator.prototype.sendBeacon;
})();
