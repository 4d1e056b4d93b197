/* Iterochat widget loader, served as /widget.js. Embed:
 *   <script src="https://chat.example.com/widget.js" data-widget-key="wk_…" async></script>
 * or call window.Iterochat.renderWebWidget({widgetKey, apiUrl, primaryColor, companyName, position}).
 * (`greeting` and `open: true` also exist, for previews.)
 * The bundle (content-hashed, cached for a year) is fetched only when a widget is rendered. */
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
  if (key) {
    var go = function () { renderWebWidget({ widgetKey: key }); };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", go); else go();
  }
})();
