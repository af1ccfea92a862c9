/* Offline check-in: runs in the browser alone, from a saved copy of static/checkin-offline.html.
 *
 * The list file (events-app-checkin-list/1) names each person with the SHA-256 of their ticket
 * code, never the code. A scanned code is hashed here (crypto.subtle) and looked up. Each
 * check-in is kept in localStorage with a random nonce and its time, and exported as
 * {"format": "events-app-checkin-scans/1", "event", "desk", "scans": [{"nonce",
 * "code_sha256" | "registration", "scanned_at"}]}: the server merges it once per nonce.
 */
(function () {
  "use strict";

  var LIST_FORMAT = "events-app-checkin-list/1";
  var SCANS_FORMAT = "events-app-checkin-scans/1";
  var LIST_KEY = "ea-offline-checkin-list";
  var DESK_KEY = "ea-offline-checkin-desk";
  var CODE = /^EA1-[A-Z2-7]{32}$/;
  var ROLES = { participant: "Participant", speaker: "Speaker", organiser: "Organiser", staff: "Staff", press: "Press" };

  var list = null;      // the loaded list
  var byHash = {};      // code_sha256 -> entry
  var byId = {};        // registration id -> entry
  var scans = [];       // this laptop's check-ins: {nonce, code_sha256 | registration, scanned_at, id}

  function $(id) { return document.getElementById(id); }

  function scansKey() { return "ea-offline-checkin-scans:" + list.event.slug; }

  function save() {
    try {
      localStorage.setItem(scansKey(), JSON.stringify(scans));
      localStorage.setItem(DESK_KEY, $("desk").value);
    } catch (err) {
      show("bad", "Not saved", null, "The browser refused to store the scans (" + err.name + "). Export them now.");
    }
  }

  function nonce() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sha256Hex(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buf) {
      return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    });
  }

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // Times are shown in the event's own zone (the list names it), whatever the laptop's zone is.
  function timeOf(iso, withDay) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    var zone = (list && list.event && list.event.timezone) || undefined;
    var options = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone };
    if (withDay) { options.year = "numeric"; options.month = "2-digit"; options.day = "2-digit"; }
    try { return new Intl.DateTimeFormat("en-GB", options).format(d); } catch (err) {
      return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function localScanOf(id) {
    for (var i = 0; i < scans.length; i++) { if (scans[i].id === id) { return scans[i]; } }
    return null;
  }

  /* ---- the big answer ---- */
  function show(tone, title, entry, detail, state) {
    var box = el("div", "result result-" + tone);
    box.setAttribute("data-state", state || tone);
    box.appendChild(el("p", "result-title", title));
    if (entry) {
      box.appendChild(el("p", "result-name", entry.name));
      box.appendChild(el("p", "result-org", entry.organisation + (entry.country ? " (" + entry.country + ")" : "")));
      box.appendChild(el("p", "result-role", ROLES[entry.badge_role] || entry.badge_role));
    }
    if (detail) { box.appendChild(el("p", "result-detail", detail)); }
    var region = $("result");
    region.textContent = "";
    region.appendChild(box);
  }

  function admit(entry, key) {
    if (entry.status !== "confirmed") {
      show("bad", "Cancelled", entry, "This registration was cancelled.", "ticket_cancelled");
      return;
    }
    if (entry.checked_in_at) {
      show("warn", "Already checked in", entry, "Checked in at " + timeOf(entry.checked_in_at) + " (before the list was downloaded).", "already_checked_in");
      return;
    }
    var earlier = localScanOf(entry.registration);
    if (earlier) {
      show("warn", "Already checked in", entry, "Checked in at " + timeOf(earlier.scanned_at) + " on this laptop.", "already_checked_in");
      return;
    }
    var scan = { nonce: nonce(), scanned_at: new Date().toISOString(), id: entry.registration };
    if (key.code_sha256) { scan.code_sha256 = key.code_sha256; } else { scan.registration = entry.registration; }
    scans.push(scan);
    save();
    show("ok", "Checked in", entry, null, "checked_in");
    refresh();
  }

  function onScan(evt) {
    evt.preventDefault();
    var input = $("f-code");
    var code = input.value.replace(/\s+/g, "").toUpperCase();
    input.value = "";
    input.focus();
    if (!code) { return; }
    if (!CODE.test(code)) {
      show("bad", "Not valid", null, "This is not a ticket code.", "ticket_not_valid");
      return;
    }
    sha256Hex(code).then(function (hash) {
      var entry = byHash[hash];
      if (!entry) {
        show("bad", "Not valid", null, "This ticket is not on the list: another event's, replaced, or not a ticket.", "ticket_not_valid");
        return;
      }
      admit(entry, { code_sha256: hash });
    });
  }

  /* ---- search ---- */
  function onSearch() {
    var q = fold($("f-q").value.trim());
    var out = $("found");
    out.textContent = "";
    if (q.length < 2) { return; }
    var shown = 0;
    for (var i = 0; i < list.entries.length && shown < 20; i++) {
      var entry = list.entries[i];
      if (fold(entry.name).indexOf(q) < 0 && fold(entry.organisation).indexOf(q) < 0) { continue; }
      shown++;
      out.appendChild(foundRow(entry));
    }
    if (!shown) { out.appendChild(el("li", "muted", "Nobody found.")); }
  }

  function foundRow(entry) {
    var li = el("li", "found-row");
    var who = el("div", "found-who");
    who.appendChild(el("span", "found-name", entry.name));
    who.appendChild(el("span", "found-org", entry.organisation));
    li.appendChild(who);
    var state = el("div", "found-state");
    var local = localScanOf(entry.registration);
    if (entry.status !== "confirmed") {
      state.appendChild(el("span", "badge badge-cancelled", "Cancelled"));
    } else if (entry.checked_in_at || local) {
      state.appendChild(el("span", "badge badge-confirmed", "Checked in " + timeOf(entry.checked_in_at || local.scanned_at)));
    } else {
      var button = el("button", "button button-small", "Check in");
      button.type = "button";
      button.addEventListener("click", function () { admit(entry, {}); onSearch(); $("f-q").focus(); });
      state.appendChild(button);
    }
    li.appendChild(state);
    return li;
  }

  /* ---- numbers, the scans list, export ---- */
  function refresh() {
    var expected = 0, before = 0;
    list.entries.forEach(function (e) {
      if (e.status === "confirmed") { expected++; if (e.checked_in_at) { before++; } }
    });
    $("count-checked-in").textContent = String(before + scans.length);
    $("count-expected").textContent = String(expected);
    $("count-local").textContent = scans.length + " check-in" + (scans.length === 1 ? "" : "s") + " on this laptop, to upload.";
    var ol = $("scans");
    ol.textContent = "";
    scans.slice(-10).reverse().forEach(function (scan) {
      var entry = byId[scan.id] || { name: "?" };
      var li = el("li");
      li.appendChild(el("span", "recent-time", timeOf(scan.scanned_at)));
      li.appendChild(el("span", "recent-who", entry.name));
      var undo = el("button", "link", "Remove");
      undo.type = "button";
      undo.addEventListener("click", function () {
        scans = scans.filter(function (s) { return s.nonce !== scan.nonce; });
        save();
        refresh();
        show("info", "Check-in removed", entry, "It will not be uploaded.", "undone");
      });
      li.appendChild(undo);
      ol.appendChild(li);
    });
  }

  function exportScans() {
    var desk = $("desk").value.replace(/\s+/g, " ").trim().slice(0, 60) || "offline";
    var body = {
      format: SCANS_FORMAT,
      event: list.event.slug,
      desk: desk,
      scans: scans.map(function (s) {
        var out = { nonce: s.nonce, scanned_at: s.scanned_at };
        if (s.code_sha256) { out.code_sha256 = s.code_sha256; } else { out.registration = s.registration; }
        return out;
      })
    };
    var blob = new Blob([JSON.stringify(body, null, 1)], { type: "application/json" });
    var a = document.createElement("a");
    var stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
    a.href = URL.createObjectURL(blob);
    a.download = "checkin-scans-" + list.event.slug + "-" + stamp + ".json";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  /* ---- loading the list ---- */
  function useList(data) {
    if (!data || data.format !== LIST_FORMAT || !data.event || !Array.isArray(data.entries)) {
      throw new Error("This is not a check-in list file.");
    }
    list = data;
    byHash = {};
    byId = {};
    list.entries.forEach(function (e) { byHash[e.code_sha256] = e; byId[e.registration] = e; });
    try { scans = JSON.parse(localStorage.getItem(scansKey()) || "[]"); } catch (err) { scans = []; }
    if (!Array.isArray(scans)) { scans = []; }
    $("offline-title").textContent = "Offline check-in · " + list.event.title;
    $("list-status").textContent = list.entries.length + " people on the list of “" + list.event.title +
      "”, downloaded " + timeOf(list.generated_at, true) + ". Times are " + list.event.timezone + " time.";
    $("desk-area").hidden = false;
    refresh();
    $("f-code").focus();
  }

  function onFile() {
    var file = $("list-file").files[0];
    if (!file) { return; }
    file.text().then(function (text) {
      useList(JSON.parse(text));
      try { localStorage.setItem(LIST_KEY, text); } catch (err) {
        $("list-status").textContent += " (Too large to keep in this browser: load the file again after a reload.)";
      }
    }).catch(function (err) {
      $("list-status").textContent = "Could not load this file: " + err.message;
    });
  }

  function forget() {
    if (scans.length && !window.confirm("Forget " + scans.length + " check-ins that were not exported? Export them first.")) { return; }
    if (list) { localStorage.removeItem(scansKey()); }
    localStorage.removeItem(LIST_KEY);
    list = null;
    scans = [];
    $("desk-area").hidden = true;
    $("list-status").textContent = "No list loaded yet.";
    $("offline-title").textContent = "Offline check-in";
  }

  function start() {
    if (!window.crypto || !crypto.subtle) {
      $("list-status").textContent = "This browser cannot hash codes here (open the page from a file or over https).";
    }
    $("desk").value = localStorage.getItem(DESK_KEY) || $("desk").value;
    $("desk").addEventListener("change", function () { localStorage.setItem(DESK_KEY, $("desk").value); });
    $("list-file").addEventListener("change", onFile);
    $("scan-form").addEventListener("submit", onScan);
    $("search-form").addEventListener("submit", function (evt) { evt.preventDefault(); onSearch(); });
    $("f-q").addEventListener("input", onSearch);
    $("export").addEventListener("click", exportScans);
    $("forget").addEventListener("click", forget);
    var stored = localStorage.getItem(LIST_KEY);
    if (stored) {
      try { useList(JSON.parse(stored)); } catch (err) { localStorage.removeItem(LIST_KEY); }
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
