// Atende agent console: the little behaviour the server-rendered pages need (no inline scripts: the CSP
// forbids them). htmx requests carry the session's CSRF token in the X-CSRF-Token header.
(function () {
  "use strict";
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) { event.detail.headers["X-CSRF-Token"] = token; }
  });
  window.atendeConsole = { csrfToken: csrfToken };
})();
