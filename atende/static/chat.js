// Atende web chat: a session id kept in localStorage, POST /api/chat/messages, options as buttons,
// and a light poll of GET /api/chat/messages for agent replies pushed later.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  // The page chrome follows the browser's language; the bot itself follows what the user writes.
  const UI = {
    es: { send: "Enviar", error: "Error de red, inténtalo de nuevo." },
    pt: { send: "Enviar", error: "Erro de rede, tente novamente." },
    en: { send: "Send", error: "Network error, please try again." },
  };
  const ui = UI[(navigator.language || "en").slice(0, 2)] || UI.en;
  document.getElementById("send").textContent = ui.send;
  let session = localStorage.getItem("atende.session");
  if (!session) {
    session = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()).replace(/-/g, "");
    localStorage.setItem("atende.session", session);
  }

  function add(kind, text) {
    const li = document.createElement("li");
    li.className = "msg msg--" + kind;
    li.textContent = text;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  function showReplies(replies) {
    for (const r of replies) {
      const li = add("bot", r.text);
      if (r.ticket) {
        const t = document.createElement("span");
        t.className = "msg__ticket";
        t.dataset.ticket = r.ticket;
        t.textContent = "\n" + r.ticket;
        li.appendChild(t);
      }
      if (r.options && r.options.length) {
        const box = document.createElement("div");
        box.className = "options";
        for (const o of r.options) {
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = o.label;
          b.dataset.option = o.id;
          b.addEventListener("click", () => {
            box.querySelectorAll("button").forEach((x) => (x.disabled = true));
            send({ option: o.id }, o.label);
          });
          box.appendChild(b);
        }
        li.appendChild(box);
      }
    }
  }

  async function send(body, shown) {
    add("user", shown);
    try {
      const res = await fetch("/api/chat/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(Object.assign({ session: session }, body)),
      });
      const data = await res.json();
      if (!res.ok) { add("error", data.detail || ("Error " + res.status)); return; }
      showReplies(data.replies);
    } catch (e) {
      add("error", ui.error);
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text: text }, text);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  async function poll() {
    try {
      const res = await fetch("/api/chat/messages?session=" + encodeURIComponent(session));
      if (res.ok) { const data = await res.json(); if (data.replies.length) showReplies(data.replies); }
    } catch (e) { /* offline: try again later */ }
  }
  setInterval(poll, 4000);
})();
