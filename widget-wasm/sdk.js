/* Iterato feedback SDK, served as /sdk/iterato.js: a drop-in for Iterato's script. Embed:
 *   <script src="https://chat.example.com/sdk/iterato.js"></script>
 *   <script>
 *     IteratoService.init("project-5woc8");      // Promise<boolean>
 *     IteratoService.setUser({ uid: "u1", userName: "John", userEmail: "john@email.com" });
 *     IteratoService.collect("checkout-success", ["paid"]);  // asks for feedback
 *   </script>
 * IteratoService exists once this has run; the bundle (content-hashed) loads on init(). From the
 * first init() on, the last 50 console lines and uncaught errors are kept to go with a feedback.
 * Nothing here throws into the page. */
(function () {
  if (window.IteratoService && window.IteratoService.collect) return;
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : "";
  var own = {}; // the page's console methods: the SDK's own messages are not recorded
  var logs = [], recording = false, bundle, projectId, ready, ok, user = null;

  function say(level, message, extra) {
    var f = own[level] || console[level];
    try { extra === undefined ? f.call(console, message) : f.call(console, message, extra); } catch (e) {}
  }
  function warn(message, extra) { say("warn", "Iterato: " + message, extra); }

  function text(x) {
    if (typeof x === "string") return x;
    if (x instanceof Error) {
      var head = x.name + ": " + x.message, stack = String(x.stack || "");
      return stack.indexOf(head) === 0 ? stack : stack ? head + "\n" + stack : head;
    }
    try { return brief(x, 2); } catch (e) { return Object.prototype.toString.call(x); }
  }
  // A short JSON-like sketch of a value: at most 10 keys or items per level, 3 levels, 200
  // characters per string, so logging a big state object stays cheap (and toJSON never runs).
  function brief(x, depth) {
    if (typeof x === "string") return JSON.stringify(x.slice(0, 200));
    if (x === null || typeof x !== "object") return String(x);
    if (x instanceof Date) return x.toISOString();
    var list = Array.isArray(x), out = [], n = 0;
    if (depth < 0) return list ? "[…]" : "{…}";
    for (var k in x) {
      if (++n > 10) { out.push("…"); break; }
      var v; try { v = x[k]; } catch (e) { v = "?"; }
      out.push((list ? "" : JSON.stringify(k) + ":") + brief(v, depth - 1));
    }
    return list ? "[" + out.join(",") + "]" : "{" + out.join(",") + "}";
  }
  function record(level, args) {
    if (recording) return; // a logging toJSON or getter must not loop
    recording = true;
    try {
      var parts = [];
      for (var i = 0; i < args.length; i++) parts.push(text(args[i]).slice(0, 1000));
      logs.push({ level: level, message: parts.join(" ").slice(0, 1000), at: new Date().toISOString() });
      if (logs.length > 50) logs.shift();
    } catch (e) {}
    recording = false;
  }
  function capture() {
    ["log", "info", "warn", "error", "debug"].forEach(function (level) {
      var f = console[level];
      if (typeof f !== "function") return;
      own[level] = f;
      try {
        console[level] = function (...a) {
          record(level, a);
          return f.apply(this, a);
        };
      } catch (e) {}
    });
    addEventListener("error", function (e) {
      var at = e.filename ? " (" + e.filename + ":" + e.lineno + ")" : "";
      record("error", [e.error instanceof Error ? e.error : (e.message || "Error") + at]);
    });
    addEventListener("unhandledrejection", function (e) { record("error", ["Unhandled rejection:", e.reason]); });
  }

  function load() {
    if (!bundle) {
      bundle = import(base + "/widget/__JS__").then(function (m) {
        return m.default({ module_or_path: base + "/widget/__WASM__" }).then(function () { return m; });
      });
      bundle.catch(function () { bundle = null; }); // the next init() tries again
    }
    return bundle;
  }

  function init(id) {
    if (!ready) capture();
    else if (id === projectId && ok !== false) return ready; // a failed init() may be retried
    projectId = id;
    ok = undefined;
    if (typeof id !== "string" || !id.trim()) {
      warn('init() needs a project_id string, e.g. init("project-5woc8").');
      return (ready = Promise.resolve(false));
    }
    return (ready = load().then(function (m) {
      return m.init_project(base, id.trim(), String(navigator.language || "en"), say);
    }).then(function (r) { return (ok = r === true); }, function (e) {
      warn("the feedback bundle could not load.", e);
      return (ok = false);
    }));
  }

  function setUser(obj) {
    if (!ready) {
      warn("call IteratoService.init(project_id) before setUser()");
      return false;
    }
    try {
      if (Object.prototype.toString.call(obj) !== "[object Object]") throw "it is not an object";
      var json = JSON.stringify(obj);
      if (json.charAt(0) !== "{") throw "it is not an object";
      if (json.length > 16384) throw "it is over 16384 characters as JSON";
      user = JSON.parse(json);
      return true;
    } catch (e) {
      warn("setUser() ignored the user:", e);
      return false;
    }
  }

  function collect(eventId, tags) {
    if (!ready) return warn("call IteratoService.init(project_id) before collect()");
    var u = user, l = logs.slice(); // as the page was when the event happened
    ready.then(function (ok) {
      if (!ok) return warn("collect() ignored: init() did not succeed.");
      return load().then(function (m) { m.collect(eventId, tags, u, l); });
    }).catch(function (e) { warn("collect() failed.", e); });
  }

  window.IteratoService = { init: init, setUser: setUser, collect: collect };
})();
