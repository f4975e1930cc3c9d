// Atende desk pages: live updates and canned responses (no inline scripts: the CSP forbids them).
//
// Live updates come from the console's event feed (/console/events, server-sent events). An event only
// says "something changed"; the page then asks the server for what is new since what it shows (the
// conversation after its last event id, the queue's table, the handoff list). So a late, duplicated or
// reordered event can never show a message twice or out of order: the server's log order is the order.
(function () {
  "use strict";

  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); });
  }

  // One refresh at a time per target; a change during a refresh triggers one more afterwards.
  function serialised(run) {
    var busy = false, again = false;
    function go() {
      if (busy) { again = true; return; }
      busy = true; again = false;
      run().catch(function () { /* the next event or the reconnect retries */ }).then(function () {
        busy = false;
        if (again) { go(); }
      });
    }
    return go;
  }

  var refreshers = [];

  var lines = document.getElementById("lines");
  if (lines) {
    var ref = lines.getAttribute("data-ref");
    refreshers.push({ ref: ref, run: serialised(function () {
      var after = lines.getAttribute("data-last") || "0";
      return fetchHtml("/console/tickets/" + encodeURIComponent(ref) + "/lines?after=" + after)
        .then(function (html) {
          var box = document.createElement("ol");
          box.innerHTML = html;
          var marker = box.querySelector("template[data-last-event]");
          var last = marker ? parseInt(marker.getAttribute("data-last-event"), 10) : 0;
          var shownLast = parseInt(lines.getAttribute("data-last") || "0", 10);
          if (last <= shownLast) { return; }
          box.querySelectorAll("li.line").forEach(function (li) {
            var id = parseInt(li.getAttribute("data-event"), 10);
            if (id > shownLast && !lines.querySelector('li[data-event="' + id + '"]')) { lines.appendChild(li); }
          });
          lines.setAttribute("data-last", String(last));
          var empty = document.querySelector(".conversation > .empty");
          if (empty) { empty.remove(); }
        });
    }) });
  }

  document.querySelectorAll("[data-live-url]").forEach(function (target) {
    refreshers.push({ ref: null, run: serialised(function () {
      return fetchHtml(target.getAttribute("data-live-url")).then(function (html) {
        target.innerHTML = html;
        var counts = target.querySelector("template[data-counts]");
        if (counts) {  // the view counts above the table follow the table
          var data = JSON.parse(counts.getAttribute("data-counts"));
          Object.keys(data).forEach(function (view) {
            document.querySelectorAll('.views [data-count="' + view + '"]').forEach(function (el) {
              el.textContent = String(data[view]);
            });
          });
        }
      });
    }) });
  });

  // A change to the open ticket that is not a message (status, assignment, handoff): say so, with a link
  // that reloads, rather than reloading under an agent who may be typing a reply.
  var stale = document.querySelector("[data-stale]");
  var loadedAfter = lines ? parseInt(lines.getAttribute("data-last") || "0", 10) : 0;
  var CHANGES = { change: true, handoff: true };

  function refresh(reference, data) {
    refreshers.forEach(function (r) { if (!r.ref || !reference || r.ref === reference) { r.run(); } });
    if (stale && data && lines && data.reference === lines.getAttribute("data-ref") && CHANGES[data.topic] &&
        data.id > loadedAfter) { stale.hidden = false; }
  }

  if (refreshers.length && window.EventSource) {
    var status = document.querySelector("[data-live-status]");
    var source = new EventSource("/console/events");
    var onEvent = function (e) {
      var data = null;
      try { data = JSON.parse(e.data || "{}"); } catch (err) { data = null; }
      refresh(data && data.reference ? data.reference : null, data);
    };
    source.onmessage = onEvent;
    ["ticket", "ticket_event", "handoff", "message"].forEach(function (name) { source.addEventListener(name, onEvent); });
    source.onopen = function () {
      if (status) { status.classList.remove("is-off"); }
      refresh(null);  // whatever happened while the feed was down
    };
    source.onerror = function () { if (status) { status.classList.add("is-off"); } };
    window.atendeDesk = { source: source, refresh: refresh };
  }

  // Canned responses: put the chosen (already filled) text into the reply box, at the cursor.
  document.querySelectorAll(".canned-insert").forEach(function (button) {
    button.addEventListener("click", function () {
      var pick = document.getElementById(button.getAttribute("data-source"));
      var box = document.getElementById(button.getAttribute("data-target"));
      if (!pick || !box) { return; }
      var option = pick.options[pick.selectedIndex];
      var text = option ? option.getAttribute("data-body") || "" : "";
      var start = box.selectionStart || 0, end = box.selectionEnd || 0;
      box.value = box.value.slice(0, start) + text + box.value.slice(end);
      box.focus();
      box.selectionStart = box.selectionEnd = start + text.length;
    });
  });
})();
