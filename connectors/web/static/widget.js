// Atende chat widget. Put on an intranet page (whose origin is in ATENDE_WEBCHAT_ALLOWED_ORIGINS):
//   <script src="https://atende.example/webchat/widget.js" data-identity="TOKEN" async></script>
// It adds a button that opens the chat in an iframe. data-identity (optional) is the signed identity
// token your back end made for the signed-in user; it travels in the iframe URL's fragment only.
(function () {
  "use strict";
  const me = document.currentScript;
  if (!me) return;
  const base = new URL(me.src).origin;
  const token = me.getAttribute("data-identity");
  const label = me.getAttribute("data-label") || "Service desk";
  const open = document.createElement("button");
  open.type = "button";
  open.textContent = label;
  open.setAttribute("aria-expanded", "false");
  open.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483000;padding:10px 16px;" +
    "border:0;border-radius:20px;background:#1f4e79;color:#fff;font:15px system-ui,sans-serif;cursor:pointer";
  const frame = document.createElement("iframe");
  frame.title = label;
  frame.src = base + "/?embed=1" + (token ? "#identity=" + encodeURIComponent(token) : "");
  frame.style.cssText = "position:fixed;right:16px;bottom:64px;z-index:2147483000;width:min(400px,calc(100vw - 32px));" +
    "height:min(600px,calc(100vh - 96px));border:1px solid #c5ccd6;border-radius:12px;background:#fff;display:none";
  open.addEventListener("click", () => {
    const shown = frame.style.display !== "none";
    frame.style.display = shown ? "none" : "block";
    open.setAttribute("aria-expanded", String(!shown));
  });
  document.body.appendChild(frame);
  document.body.appendChild(open);
})();
