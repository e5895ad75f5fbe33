// cjm serve: keeps the page in step with the files. The frame shows the renderers' pages as they
// are (sandboxed, no script runs in it); this script swaps a new render into the frame in place,
// so scroll positions, zoom and open <details> stay. Map text only ever reaches this page through
// textContent. A hidden tab closes its channel; a lost channel comes back with backoff.
(() => {
  "use strict";
  const body = document.body;
  const page = body.dataset.page;
  const slug = body.dataset.slug;
  const frame = document.getElementById("content");
  const $ = (id) => document.getElementById(id);
  const TYPES = { map: "text/html", diagram: "image/svg+xml", curve: "image/svg+xml", flow: "image/svg+xml" };
  const store = (key) => `cjm-serve:${slug}:${key}`;
  const params = new URLSearchParams(location.search);
  const remembered = (key) => { try { return localStorage.getItem(store(key)); } catch (e) { return null; } };
  let view = params.get("view") || remembered("view") || "map";
  if (!(view in TYPES)) view = "map";
  let persona = params.has("persona") ? params.get("persona") : (remembered("persona") || "");
  let frameKey = page === "index" ? "catalog" : "";
  let shownVersion = -1;
  let pendingAnchor = null;
  let ws = null, retry = 0, retryTimer = null, busy = false, again = false, server = null;
  let paints = 0;

  function remember() {
    try { localStorage.setItem(store("view"), view); localStorage.setItem(store("persona"), persona); } catch (e) { /* private mode */ }
    const q = new URLSearchParams();
    q.set("view", view);
    if (persona) q.set("persona", persona);
    history.replaceState(null, "", "?" + q.toString());
  }

  function setStatus(text, off) {
    const el = $("status");
    el.textContent = text;
    el.classList.toggle("off", !!off);
  }

  function renderUrl(version) {
    const q = new URLSearchParams();
    if (persona) q.set("persona", persona);
    q.set("v", String(version));
    return `/render/${encodeURIComponent(slug)}/${view}?${q}`;
  }

  // --- the frame ---------------------------------------------------------------------

  function decorate() {
    const doc = frame.contentDocument;
    if (!doc || !doc.documentElement) return;
    if (doc.head && !doc.getElementById("cjm-serve-style")) {
      const style = doc.createElement("style");
      style.id = "cjm-serve-style";
      style.textContent = ".cjm-hl { outline: 3px solid #d97706 !important; outline-offset: -3px; " +
        "box-shadow: inset 0 0 0 999px rgba(217, 119, 6, .16) !important; }";
      doc.head.appendChild(style);
    }
    for (const a of doc.querySelectorAll("a[href]")) {
      const href = a.getAttribute("href");
      if (href.startsWith("/maps/")) a.target = "_top";
      else if (/^https?:/i.test(href)) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
    }
  }

  function painted() {
    requestAnimationFrame(() => {
      paints += 1;
      body.dataset.paints = String(paints);
      body.dataset.paintedAt = String(Date.now());
    });
  }

  function swap(text, type) {
    const doc = frame.contentDocument;
    const win = frame.contentWindow;
    if (!doc || !doc.documentElement || !win) return false;
    // parsed in the frame's own realm, so the frame's policy (inline styles allowed, no script) applies
    const fresh = new win.DOMParser().parseFromString(text, type);
    const x = win.scrollX, y = win.scrollY;
    const boxes = [...doc.querySelectorAll(".scroll, .pic")].map((el) => [el.scrollLeft, el.scrollTop]);
    const open = [...doc.querySelectorAll("details")].map((d) => d.open);
    const lit = [...doc.querySelectorAll(".cjm-hl")].map((el) => el.id).filter(Boolean);
    if (type === "text/html") {
      if (!fresh.body) return false;
      doc.head.replaceWith(doc.importNode(fresh.head, true));
      doc.body.replaceWith(doc.importNode(fresh.body, true));
    } else {
      doc.replaceChild(doc.importNode(fresh.documentElement, true), doc.documentElement);
    }
    decorate();
    doc.querySelectorAll(".scroll, .pic").forEach((el, i) => {
      if (boxes[i]) { el.scrollLeft = boxes[i][0]; el.scrollTop = boxes[i][1]; }
    });
    doc.querySelectorAll("details").forEach((d, i) => { if (i < open.length) d.open = open[i]; });
    for (const id of lit) { const el = doc.getElementById(id); if (el) el.classList.add("cjm-hl"); }
    win.scrollTo(x, y);
    painted();
    return true;
  }

  frame.addEventListener("load", () => {
    decorate();
    painted();
    if (pendingAnchor) { const anchor = pendingAnchor; pendingAnchor = null; highlight(anchor); }
  });

  function highlight(anchor) {
    if (!anchor) return;
    if (view !== "map") { pendingAnchor = anchor; chooseView("map"); return; }
    const doc = frame.contentDocument;
    const el = doc && doc.getElementById(anchor);
    if (!el) { pendingAnchor = anchor; return; }
    doc.querySelectorAll(".cjm-hl").forEach((old) => old.classList.remove("cjm-hl"));
    el.classList.add("cjm-hl");
    el.scrollIntoView({ block: "center", inline: "center" });
  }

  // --- what the server says -------------------------------------------------------------

  function showBanner(title, lines) {
    const banner = $("banner");
    if (!title) { banner.hidden = true; return; }
    $("banner-title").textContent = title;
    $("banner-text").textContent = lines;
    banner.hidden = false;
  }

  function showNote(text) {
    const note = $("note");
    note.textContent = text || "";
    note.hidden = !text;
  }

  function paintPersonas(list, chosen) {
    const select = $("persona");
    const want = ["", ...list.map((p) => p.id)].join("\n");
    if (select.dataset.ids !== want) {
      const keep = select.options[0];
      select.replaceChildren(keep);
      for (const p of list) {
        const option = document.createElement("option");
        option.value = p.id;
        option.textContent = p.name;
        select.appendChild(option);
      }
      select.dataset.ids = want;
    }
    select.value = chosen || "";
    select.disabled = list.length < 2;
  }

  function paintFindings(list, total) {
    const ol = $("findings");
    ol.replaceChildren();
    for (const f of list) {
      const li = document.createElement("li");
      li.dataset.anchor = f.anchor || "";
      const sev = document.createElement("span");
      sev.className = `sev sev-${f.severity}`;
      sev.textContent = f.severity;
      const msg = document.createElement("button");
      msg.type = "button";
      msg.className = "msg";
      msg.append(sev, document.createTextNode(f.message));
      const where = document.createElement("span");
      where.className = "where";
      where.textContent = f.where;
      const rule = document.createElement("a");
      rule.className = "rule";
      rule.href = f.doc;
      rule.target = "_blank";
      rule.rel = "noopener";
      rule.textContent = `${f.code} ${f.name}`;
      li.append(msg, where, rule);
      li.addEventListener("click", (ev) => {
        if (ev.target === rule) return;
        ol.querySelectorAll("li.current").forEach((x) => x.classList.remove("current"));
        li.classList.add("current");
        highlight(f.anchor);
      });
      ol.appendChild(li);
    }
    $("findings-count").textContent = `(${total})`;
    const more = $("findings-more");
    more.hidden = total <= list.length;
    more.textContent = `The ${list.length} most severe of ${total} are listed; cjm lint reports them all.`;
    $("findings-empty").hidden = list.length > 0;
  }

  async function refreshIndex() {
    const response = await fetch("/catalog", { cache: "no-store" });
    if (!response.ok) return;
    const text = await response.text();
    if (!swap(text, "text/html")) frame.src = "/catalog";
  }

  async function refreshMap() {
    const q = new URLSearchParams({ view });
    if (persona) q.set("persona", persona);
    const response = await fetch(`/api/maps/${encodeURIComponent(slug)}?${q}`, { cache: "no-store" });
    if (response.status === 404) {
      showBanner("This map is no longer here (deleted or renamed): find it on the index.", "");
      frame.classList.add("stale");
      body.dataset.ok = "false";
      return;
    }
    if (!response.ok) return;
    const st = await response.json();
    if (st.title) {  // a broken map has none: the last good title stays
      document.title = `${st.title} - cjm serve`;
      $("title").textContent = st.title;
    }
    body.dataset.ok = String(st.ok);
    body.dataset.version = String(st.version);
    if (!st.ok) {
      showBanner(st.banner.title, st.banner.text);
      frame.classList.add("stale");
      if (!frameKey) { frame.src = renderUrl(st.version); frameKey = `${view}|${persona}`; }
      return;
    }
    if (st.problems.length) showBanner("Lint could not use every input:", st.problems.join("\n"));
    else showBanner(null);
    frame.classList.remove("stale");
    if ((st.persona || "") !== persona) { persona = st.persona || ""; remember(); }
    paintPersonas(st.personas, persona);
    paintFindings(st.findings, st.findings_total);
    showNote(st.error ? `This view cannot be drawn: ${st.error}` : "");
    const key = `${view}|${persona}`;
    if (key === frameKey && st.version === shownVersion) return;
    if (key !== frameKey || !frame.contentDocument || !frame.contentDocument.documentElement) {
      frameKey = key;
      shownVersion = st.version;
      frame.src = renderUrl(st.version);
      return;
    }
    const picture = await fetch(renderUrl(st.version), { cache: "no-store" });
    if (picture.status !== 200) return;
    const text = await picture.text();
    if (swap(text, TYPES[view])) shownVersion = st.version;
    else { frame.src = renderUrl(st.version); shownVersion = st.version; }
  }

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        try { await (page === "index" ? refreshIndex() : refreshMap()); } catch (e) { again = false; }
      } while (again);
    } finally {
      busy = false;
    }
  }

  // --- the live channel -----------------------------------------------------------------

  function connect() {
    if (ws || document.hidden) return;
    clearTimeout(retryTimer);
    const socket = new WebSocket(`ws://${location.host}/live`);
    ws = socket;
    socket.onopen = () => { retry = 0; setStatus("live"); };
    socket.onmessage = (ev) => {
      let message;
      try { message = JSON.parse(ev.data); } catch (e) { return; }
      if (message.type === "hello") {  // (re)connected: catch up; a restarted server counts versions anew
        if (server !== null && server !== message.server) shownVersion = -1;
        server = message.server;
        refresh();
        return;
      }
      if (message.type !== "changed") return;
      if (page === "index" ? message.index : message.maps.includes(slug)) refresh();
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ws = null;
      if (document.hidden) return;
      setStatus("reconnecting\u2026", true);
      const delay = Math.min(10000, 250 * 2 ** retry) * (0.75 + Math.random() / 2);
      retry = Math.min(retry + 1, 8);
      retryTimer = setTimeout(connect, delay);
    };
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      clearTimeout(retryTimer);
      if (ws) { const socket = ws; ws = null; socket.close(); }
      setStatus("paused while the tab is hidden");
    } else {
      connect();
    }
  });

  function chooseView(name) {
    view = name;
    for (const b of document.querySelectorAll(".views button")) b.setAttribute("aria-pressed", String(b.dataset.view === view));
    remember();
    refresh();
  }

  if (page === "map") {
    for (const b of document.querySelectorAll(".views button")) b.addEventListener("click", () => chooseView(b.dataset.view));
    $("persona").addEventListener("change", (ev) => { persona = ev.target.value; remember(); refresh(); });
    chooseView(view);
  }
  connect();
})();
