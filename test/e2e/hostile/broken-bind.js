// A broken Function.prototype.bind "polyfill" shipped in a shop theme's global.js, as found on the sites in
// paypal/paypal-checkout-components#624: it binds `this` and up to ten arguments given to bind, ignores the
// arguments the bound function is called with, and returns nothing. (Rewritten from the description.)
(function () {
  Function.prototype.bind = function (self, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) {
    var fn = this;
    return function () {
      fn.apply(self, [a1, a2, a3, a4, a5, a6, a7, a8, a9, a10]);
    };
  };
})();
