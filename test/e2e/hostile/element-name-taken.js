// Our names already taken by the host: the shop registered its own <kairos-campaign> custom element (a
// theme component of the same name, or another product's embed — custom element names are one global
// namespace, and clashes are a known failure of embeds loaded twice or in two versions), whose constructor
// attaches its own shadow root; customElements.define is wrapped by a registry shim; and `window.Kairos`
// (capital K, as some SDKs name their global) is another library.
(function () {
  var define = customElements.define;
  customElements.define = function (name, ctor, options) {
    if (customElements.get(name)) return;
    return define.call(customElements, name, ctor, options);
  };
  customElements.define('kairos-campaign', class extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: 'open' }).innerHTML = '<slot></slot>';
    }
  });
  window.Kairos = function Kairos(appId) { this.appId = appId; };
})();
