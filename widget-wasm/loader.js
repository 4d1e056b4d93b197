/* Iterochat widget loader, served as /widget.js. Embed:
 *   <script src="https://chat.example.com/widget.js" data-widget-key="wk_…" async></script>
 * or call window.Iterochat.renderWebWidget({widgetKey, apiUrl, primaryColor, companyName, position}).
 * (`greeting`, `open: true` and `focus: true` also exist, for previews.)
 * Embedded with data-widget-key, the loader draws the launcher itself from the organisation's
 * settings (/api/v1/widget/config) and fetches the widget (content-hashed, cached for a year)
 * only when the visitor points at, focuses or clicks it, so a page where nobody opens the chat
 * pays the loader and that small JSON. A returning visitor (with a conversation to come back
 * to) and a site with a proactive message get the widget at once. */
(function () {
  if (window.Iterochat && window.Iterochat.renderWebWidget) return;
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : "";
  var ready = null;
  function load() {
    if (!ready) {
      ready = import(base + "/widget/__JS__").then(function (m) {
        return m.default({ module_or_path: base + "/widget/__WASM__" }).then(function () { return m; });
      });
    }
    return ready;
  }
  function renderWebWidget(options) {
    var opts = Object.assign({ apiUrl: base }, options || {});
    return load().then(function (m) { m.start(opts); }, function (e) {
      console.warn("Iterochat: the widget could not load.", e);
    });
  }
  window.Iterochat = { renderWebWidget: renderWebWidget };
  var key = script && script.getAttribute("data-widget-key");
  if (!key) return;
  function stored(suffix) {
    try { return localStorage.getItem("iterochat:" + key + suffix); } catch (e) { return null; }
  }
  // The launcher as the widget draws it, in its own shadow root; the widget takes the same
  // host over when it starts.
  function launcher(config) {
    var host = document.createElement("div");
    host.id = "iterochat-widget";
    var root = host.attachShadow({ mode: "open" });
    var color = /^#[0-9a-fA-F]{6}$/.test(config.primary_color) ? config.primary_color : "#3b82f6";
    root.innerHTML = "<style>:host{all:initial}.root{position:fixed;bottom:20px;right:20px;z-index:2147483000}" +
      ".root.left{right:auto;left:20px}button{all:unset;box-sizing:border-box;width:56px;height:56px;border-radius:50%;" +
      "background:" + color + ";box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center;cursor:pointer}" +
      "button:focus-visible{outline:3px solid #1c2330;outline-offset:2px}svg{width:26px;height:26px;fill:#fff}" +
      "@media (max-width:480px){.root{bottom:16px;right:16px}}</style>" +
      "<div class=\"root" + (config.position === "bottom-left" ? " left" : "") + "\"><button class=\"launcher\" type=\"button\" " +
      "aria-label=\"Open chat\" aria-expanded=\"false\"><svg viewBox=\"0 0 24 24\" aria-hidden=\"true\">" +
      "<path d=\"M4 4h16v12H7l-3 3z\"/></svg></button></div>";
    document.body.appendChild(host);
    var button = root.querySelector("button");
    button.addEventListener("pointerenter", load, { once: true });
    button.addEventListener("focus", load, { once: true });
    button.addEventListener("touchstart", load, { once: true, passive: true });
    button.addEventListener("click", function () {
      renderWebWidget({ widgetKey: key, open: true, focus: true });
    }, { once: true });
  }
  function go() {
    if (stored("")) return renderWebWidget({ widgetKey: key });
    // An unknown key or a site the organisation did not allow: nothing is shown, as the widget does.
    fetch(base + "/api/v1/widget/config?key=" + encodeURIComponent(key)).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (config) {
      if (!config) return;
      // The nudge shows at most once a day (the widget stores the day it did).
      var today = new Date().toISOString().slice(0, 10);
      if (config.proactive_message && stored(":nudged") !== today) return renderWebWidget({ widgetKey: key });
      launcher(config);
    }, function () { renderWebWidget({ widgetKey: key }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", go); else go();
})();
