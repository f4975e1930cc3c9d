// Atende web chat. The server issues the session (an HttpOnly cookie the page never sees): the page keeps
// no id of its own. History is restored on load; pushes arrive by server-sent events, with polling as
// the fallback; what was shown is acknowledged with the cursor, so nothing is ever lost by a read.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const log = $("log"), form = $("composer"), input = $("text");
  const UI = {
    es: { send: "Enviar", error: "Error de red, inténtalo de nuevo.", subtitle: "Centro de soporte TI",
          placeholder: "Describe tu problema", label: "Mensaje", fresh: "Nueva conversación",
          log: "Conversación", agent: "Agente", bot: "Asistente", you: "Tú",
          intro: "Para que el centro de soporte sepa quién eres:", name: "Nombre", email: "Correo electrónico",
          save: "Continuar", skip: "Omitir", code: "Código que enviamos a tu correo", verify: "Verificar",
          incident: "Incidencia general con {service} {since} ({ref}): ya estamos trabajando en ello.",
          incidentNoService: "Incidencia general {since} ({ref}): ya estamos trabajando en ello.",
          sinceToday: "desde las {time}", sinceDay: "desde el {date} a las {time}" },
    pt: { send: "Enviar", error: "Erro de rede, tente novamente.", subtitle: "Central de suporte de TI",
          placeholder: "Descreva seu problema", label: "Mensagem", fresh: "Nova conversa",
          log: "Conversa", agent: "Agente", bot: "Assistente", you: "Você",
          intro: "Para que a central de suporte saiba quem é você:", name: "Nome", email: "E-mail",
          save: "Continuar", skip: "Pular", code: "Código que enviamos ao seu e-mail", verify: "Verificar",
          incident: "Incidente geral com {service} {since} ({ref}): já estamos trabalhando nisso.",
          incidentNoService: "Incidente geral {since} ({ref}): já estamos trabalhando nisso.",
          sinceToday: "desde as {time}", sinceDay: "desde {date} às {time}" },
    en: { send: "Send", error: "Network error, please try again.", subtitle: "IT service desk",
          placeholder: "Describe your problem", label: "Message", fresh: "New conversation",
          log: "Conversation", agent: "Agent", bot: "Assistant", you: "You",
          intro: "So that the service desk knows who you are:", name: "Name", email: "E-mail",
          save: "Continue", skip: "Skip", code: "Code we sent to your e-mail", verify: "Verify",
          incident: "Known problem with {service} {since} ({ref}): we are already working on it.",
          incidentNoService: "Known problem {since} ({ref}): we are already working on it.",
          sinceToday: "since {time}", sinceDay: "since {date} {time}" },
  };
  const params = new URLSearchParams(location.search);
  if (params.get("embed")) document.body.classList.add("embed");
  // A host page passes its signed identity token in the fragment (never sent to any server by the browser).
  const identity = new URLSearchParams(location.hash.slice(1)).get("identity");
  let ui = UI.en, cursor = 0, hasSession = false, stream = null, pollTimer = null;

  function speak(lang) {
    const code = (lang || navigator.language || "en").slice(0, 2).toLowerCase();
    ui = UI[code] || UI.en;
    document.documentElement.lang = UI[code] ? code : "en";
    $("send").textContent = ui.send;
    $("subtitle").textContent = ui.subtitle;
    $("new").textContent = ui.fresh;
    $("text-label").textContent = ui.label;
    input.placeholder = ui.placeholder;
    log.setAttribute("aria-label", ui.log);
    $("contact-intro").textContent = ui.intro;
    $("contact-name-label").textContent = ui.name;
    $("contact-email-label").textContent = ui.email;
    $("contact-save").textContent = ui.save;
    $("contact-skip").textContent = ui.skip;
    $("verify-label").textContent = ui.code;
    $("verify-save").textContent = ui.verify;
    banner(incidents);
  }

  // While a major incident is active, a banner names its service and reference, in the page's language.
  // Text nodes only: the service name comes from monitoring labels and is never parsed as HTML.
  let incidents = [];
  function since(iso) {  // in the reader's time zone: "desde las 08:15", "desde el 05/12 a las 08:15"
    const d = new Date(iso), lang = document.documentElement.lang;
    const time = d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    if (d.toDateString() === new Date().toDateString()) return ui.sinceToday.replace("{time}", () => time);
    const date = d.toLocaleDateString(lang, { day: "2-digit", month: "2-digit" });
    return ui.sinceDay.replace("{date}", () => date).replace("{time}", () => time);
  }
  function banner(list) {
    const box = $("incidents");
    box.textContent = "";
    for (const i of list) {
      const p = document.createElement("p");
      const template = i.service ? ui.incident : ui.incidentNoService;
      // Replacer functions: a "$&" in a service name is text, not a replacement pattern.
      const [before, after] = template.replace("{service}", () => i.service || "")
        .replace("{since}", () => since(i.since)).split("{ref}");
      const ref = document.createElement("span");
      ref.className = "chat__incident-ref";  // never broken at its hyphen
      ref.textContent = i.reference;
      p.append(before, ref, after || "");
      p.dataset.reference = i.reference;
      box.appendChild(p);
    }
    box.hidden = !list.length;
  }
  async function watchIncidents() {
    try {
      const res = await fetch("/api/chat/incidents", { credentials: "same-origin" });
      if (res.ok) { incidents = (await res.json()).incidents || []; banner(incidents); }
    } catch (e) { /* offline: keep what is shown */ }
  }

  // Anonymous users may say who they are (kept as unverified); a signed identity makes this unnecessary.
  function offerContact(mode, known) {
    // Only before the conversation starts: never pushes a running conversation down.
    if (identity || mode === "off" || known || log.childElementCount) return;
    $("contact").hidden = false;
    $("contact-skip").hidden = mode === "required";
  }
  $("contact").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { name: $("contact-name").value.trim() };
    const email = $("contact-email").value.trim();
    if (email) body.email = email;
    body.locale = document.documentElement.lang;
    const res = await fetch("/api/chat/contact", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) { bubble("error", data.detail || ("Error " + res.status)); return; }
    $("contact").hidden = true;
    if (data.contact && data.contact.code_sent) { $("verify").hidden = false; $("verify-code").focus(); }
    else input.focus();
  });
  // The one-time code mailed to the typed address: proving it makes the user a verified requester.
  $("verify").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const res = await fetch("/api/chat/verify", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: $("verify-code").value.trim() }),
    });
    const data = await res.json();
    if (res.ok) { $("verify").hidden = true; input.focus(); }
    else { bubble("error", data.detail || ("Error " + res.status)); scrollDown(); }
  });
  $("contact-skip").addEventListener("click", () => { $("contact").hidden = true; input.focus(); });

  function clock(iso) {
    const t = document.createElement("time");
    const d = iso ? new Date(iso) : new Date();
    t.dateTime = d.toISOString();
    t.textContent = d.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
    t.className = "msg__meta";
    return t;
  }

  function disablePast() {
    log.querySelectorAll(".options button:not(:disabled)").forEach((b) => { b.disabled = true; });
  }

  // Text with its http(s) links made clickable; everything stays text nodes (no HTML is ever parsed).
  function linkify(el, text) {
    const parts = String(text).split(/(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)])/);
    parts.forEach((part, i) => {
      if (i % 2 === 0) { if (part) el.appendChild(document.createTextNode(part)); return; }
      const a = document.createElement("a");
      a.href = part;
      a.textContent = part;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      el.appendChild(a);
    });
  }

  function bubble(kind, text, at) {
    const li = document.createElement("li");
    li.className = "msg msg--" + kind;
    const p = document.createElement("p");
    p.className = "msg__text";
    linkify(p, text);
    li.appendChild(p);
    li.appendChild(clock(at));
    log.appendChild(li);
    return li;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // One entry of the log: a user's line, a bot reply, or a push (agent reply, status change, CSAT).
  function render(m, live) {
    if (m.role === "user") {
      if (m.option) {  // restored history: show which button was pressed
        const picked = [...log.querySelectorAll(".options button")].filter((x) => x.dataset.option === m.option);
        if (picked.length) picked[picked.length - 1].setAttribute("aria-pressed", "true");
      }
      disablePast();
      bubble("user", m.text, m.at);
      return;
    }
    const li = bubble(m.author ? "bot msg--agent" : "bot", m.text, m.at);
    if (m.html) {  // a knowledge-base article: HTML rendered by the server from Markdown, raw HTML off
      const body = document.createElement("div");
      body.className = "msg__body";
      body.innerHTML = m.html;
      body.querySelectorAll("a").forEach((a) => { a.target = "_blank"; a.rel = "noopener noreferrer"; });
      li.replaceChild(body, li.querySelector(".msg__text"));
    }
    if (m.author) {
      const who = document.createElement("span");
      who.className = "msg__author";
      who.textContent = m.author;
      li.insertBefore(who, li.firstChild);
    }
    if (m.ticket) {
      const t = document.createElement("span");
      t.className = "msg__ticket";
      t.dataset.ticket = m.ticket;
      t.textContent = m.ticket;
      li.insertBefore(t, li.lastChild);
    }
    if (m.options && m.options.length) {
      const box = document.createElement("div");
      box.className = "options";
      box.setAttribute("role", "group");
      for (const o of m.options) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = o.label;
        b.dataset.option = o.id;
        b.disabled = !live;
        b.addEventListener("click", () => {
          b.setAttribute("aria-pressed", "true");
          send({ option: o.id }, o.label);
        });
        box.appendChild(b);
      }
      li.insertBefore(box, li.lastChild);
    }
  }

  function show(items, live) {
    for (const m of items) {
      render(m, live);
      if (m.id && m.id > cursor) cursor = m.id;
    }
    scrollDown();  // after the options are in the page, so the newest ones are visible
  }

  async function send(body, shown) {
    if (!$("contact-skip").hidden) $("contact").hidden = true;  // writing is skipping (where allowed)
    disablePast();
    bubble("user", shown);
    scrollDown();
    if (identity) body.identity = identity;
    try {
      const res = await fetch("/api/chat/messages", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await res.json();
      if (!res.ok) { bubble("error", data.detail || ("Error " + res.status)); scrollDown(); return; }
      if (data.language) speak(data.language);
      show(data.replies, true);
      if (!hasSession) { hasSession = true; listen(); }
    } catch (e) {
      bubble("error", ui.error);
      scrollDown();
    }
  }

  function pushed(m) { if (m.id > cursor) show([m], true); }

  async function poll() {
    try {
      const res = await fetch("/api/chat/messages?after=" + cursor, { credentials: "same-origin" });
      if (res.ok) { const data = await res.json(); data.replies.forEach(pushed); }
    } catch (e) { /* offline: try again later */ }
  }

  function listen() {
    if (stream || pollTimer) return;
    if (window.EventSource) {
      stream = new EventSource("/api/chat/events?after=" + cursor);
      stream.addEventListener("message", (ev) => pushed(JSON.parse(ev.data)));
      stream.addEventListener("error", () => {
        if (stream.readyState === EventSource.CLOSED) { stream = null; pollTimer = setInterval(poll, 4000); }
      });
    } else {
      pollTimer = setInterval(poll, 4000);
    }
  }

  function quiet() {
    if (stream) { stream.close(); stream = null; }
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  async function restore() {
    try {
      const res = await fetch("/api/chat/history", { credentials: "same-origin" });
      if (!res.ok) return;
      const data = await res.json();
      if (!data.messages.length) offerContact(data.ask_contact, data.contact);
      if (!data.session) return;  // a first visit: the first message opens the session
      speak(data.language);
      const msgs = data.messages;
      // Only the options of the last message can still be answered.
      msgs.forEach((m, i) => { render(m, i === msgs.length - 1 && m.role !== "user"); });
      cursor = data.cursor;
      scrollDown();
      hasSession = true;
      listen();
    } catch (e) { /* first visit or offline */ }
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
  $("new").addEventListener("click", async () => {
    quiet();
    await fetch("/api/chat/session", { method: "DELETE", credentials: "same-origin" });
    log.textContent = "";
    cursor = 0;
    hasSession = false;
    await restore();  // offers the contact form again
    input.focus();
  });

  speak(null);
  restore();
  watchIncidents();
  setInterval(watchIncidents, 60000);
})();
