// LTE's service worker, served at /sw.js (scope /) by lte.site.pwa behind one line: `const LTE = {…}` (the
// version, the shell's static URLs, a few paths and words). Our own code, no library, no other host.
//
// - The shell (CSS, JS, icons, the offline page) is cached at install under a versioned name; a new version
//   drops the old caches.
// - App pages (/app/…) are network-first; each one seen is kept, so the app opens with no connection on the
//   pages last seen, and a page never seen shows the offline page. Account pages, "Your data", settings, the
//   API and downloads are never kept.
// - A contact (quick-add or the full form), a note or a follow-up posted with no connection is queued in the
//   outbox (outbox.js)
//   as the equivalent API call with its own Idempotency-Key, and sent when the connection is back (Background
//   Sync where the browser has it; otherwise the pages ask, on their `online` event and when they load).
// - Privacy: kept pages hold contact data on the phone. Logging out or deleting the account wipes the pages and
//   the outbox; a page that shows nobody signed in, or another account, wipes the pages.
/* global LTE, LTEOutbox */
"use strict";
importScripts(LTE.outbox);

var SHELL = "lte-shell-" + LTE.version;
var PAGES = "lte-pages";
var NETWORK_PATIENCE_MS = 6000; // a weak signal: after this long, a kept copy beats waiting
var NEVER_KEPT = ["/app/settings/", "/app/your-data/", "/app/delete-account/", "/app/import/"];
var QUEUEABLE = [
  { kind: "contact", pattern: /^\/app\/contacts\/quick$/ },
  { kind: "contact-form", pattern: /^\/app\/contacts\/new$/ },
  { kind: "note", pattern: /^\/app\/contacts\/([0-9a-f-]{36})\/notes$/ },
  { kind: "followup", pattern: /^\/app\/contacts\/([0-9a-f-]{36})\/followups$/ },
];

self.addEventListener("install", function (event) {
  event.waitUntil((async function () {
    var shell = await caches.open(SHELL);
    await shell.addAll(LTE.shell);
    // The start page and the new-contact form too, when someone is signed in: the first visit ran before this
    // worker existed.
    await keepPage(LTE.start);
    await keepPage(LTE.newContact);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", function (event) {
  event.waitUntil((async function () {
    var names = await caches.keys();
    await Promise.all(names.filter(function (name) { return name !== SHELL && name !== PAGES; })
      .map(function (name) { return caches.delete(name); }));
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST") {
    if (url.pathname === LTE.logout) {
      event.respondWith(signOut(request));
    } else if (url.pathname === LTE.deleteAccount) {
      event.respondWith(deleteAccount(request));
    } else {
      var form = queueable(url.pathname);
      if (form) { event.respondWith(postOrQueue(request, form)); }
    }
    return;
  }
  if (request.method !== "GET") { return; }
  if (request.mode === "navigate") {
    event.respondWith(page(request, url));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(asset(request));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === "lte-outbox") { event.waitUntil(flush()); }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "flush") {
    event.waitUntil(flush());
  } else if (data.type === "page") {
    event.waitUntil(pageShown(data));
  }
});

// --- Pages and files ---

function keptPath(url) {
  return url.pathname.indexOf("/app/") === 0 && !NEVER_KEPT.some(function (prefix) {
    return url.pathname.indexOf(prefix) === 0;
  });
}

function worthKeeping(response) {
  return response.status === 200 && !response.redirected && response.type === "basic" &&
    (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

// Fetched without following redirects: signed out, /app/ sends to /login, whose form would start a session
// (a cookie) for a visitor who only read the home page.
async function keepPage(url) {
  try {
    var response = await fetch(url, { credentials: "same-origin", redirect: "manual" });
    if (worthKeeping(response)) { await (await caches.open(PAGES)).put(url, response); }
  } catch (error) { /* offline: nothing to keep */ }
}

async function page(request, url) {
  var keep = keptPath(url);
  var network = fetch(request).then(async function (response) {
    if (keep && worthKeeping(response)) {
      await (await caches.open(PAGES)).put(request.url, response.clone());
    }
    return response;
  });
  network.catch(function () { /* answered below, or the kept copy already was */ });
  var kept = keep ? await caches.match(request.url, { cacheName: PAGES, ignoreVary: true }) : undefined;
  try {
    if (!kept) { return await network; }
    return await Promise.race([network, new Promise(function (resolve) {
      setTimeout(function () { resolve(kept); }, NETWORK_PATIENCE_MS);
    })]);
  } catch (error) {
    return kept || (await caches.match(LTE.offline, { cacheName: SHELL })) || Response.error();
  }
}

async function asset(request) {
  var kept = await caches.match(request, { cacheName: SHELL });
  if (kept) { return kept; }
  var response = await fetch(request);
  if (response.status === 200 && response.type === "basic") {
    await (await caches.open(SHELL)).put(request, response.clone());
  }
  return response;
}

// A page told us who is signed in (its account marker, "" for nobody). Pages kept for someone else go; for a
// new account, the start page and the new-contact form are kept at once, ready for the first offline moment.
async function pageShown(data) {
  var before = await LTEOutbox.getMeta("account");
  if (before !== data.account) {
    if (before !== undefined) { await caches.delete(PAGES); } // undefined: a new worker, or after a logout
    await LTEOutbox.setMeta("account", data.account);
    await refreshOfflinePage();
    if (data.account) { await Promise.all([keepPage(LTE.start), keepPage(LTE.newContact)]); }
  }
  var keep = data.keep ? new URL(data.keep, self.location.href) : null;
  if (data.account && keep && keep.origin === self.location.origin && keptPath(keep)) {
    await keepPage(keep.href);
  }
}

// The offline page carries the header of whoever was signed in when it was fetched: fetched again when that
// changes, so it never shows (or names) an account that has left.
async function refreshOfflinePage() {
  try {
    var response = await fetch(LTE.offline, { credentials: "same-origin", redirect: "manual" });
    if (response.status === 200) { await (await caches.open(SHELL)).put(LTE.offline, response); }
  } catch (error) { /* offline: the kept copy stays */ }
}

// --- Signing out ---

async function forgetEverything() {
  await caches.delete(PAGES);
  await LTEOutbox.clear();
}

async function signOut(request) {
  await forgetEverything();
  try {
    var response = await fetch(request);
    await refreshOfflinePage();
    return response;
  } catch (error) {
    return Response.redirect("/", 303);
  }
}

async function deleteAccount(request) {
  var response = await fetch(request);
  if (response.status === 200) {
    await forgetEverything();
    await refreshOfflinePage();
  }
  return response;
}

// --- Writing with no connection ---

function queueable(path) {
  for (var i = 0; i < QUEUEABLE.length; i++) {
    var match = QUEUEABLE[i].pattern.exec(path);
    if (match) { return { kind: QUEUEABLE[i].kind, contactId: match[1] }; }
  }
  return null;
}

// A field by its name, with or without the form's prefix (the contact page's forms have "note-", "fu-").
function text(form, name) {
  var value = form.get(name);
  form.forEach(function (item, key) {
    if (value === null && key.slice(-name.length - 1) === "-" + name) { value = item; }
  });
  return String(value || "").trim();
}

function lines(value) {
  return value.split(/\r?\n/).map(function (line) { return line.trim(); }).filter(Boolean);
}

// "mobile: 0612 345 678" lines → values and labels, by the rule of lte.crm.forms.labelled_lines.
function labelled(value) {
  var values = [];
  var labels = [];
  lines(value).forEach(function (line) {
    var at = line.indexOf(":");
    var label = at > 0 ? line.slice(0, at).trim() : "";
    var rest = at > 0 ? line.slice(at + 1) : "";
    if (label && rest.trim() && label.length <= 40 && label.indexOf("@") === -1 &&
        !/^\d+$/.test(label.replace(/^\+/, "").replace(/ /g, "")) && rest.indexOf("//") !== 0) {
      values.push(rest.trim());
      labels.push(label);
    } else {
      values.push(line);
      labels.push("");
    }
  });
  return { values: values, labels: labels };
}

// The contact form's repeated rows ("phone" inputs, each after its "phone_label" select), then any older
// "one per line" text, as lte.crm.forms.ContactForm reads them.
function rows(form, valueName, labelName, older) {
  var values = [];
  var labels = [];
  var given = form.getAll(labelName);
  form.getAll(valueName).forEach(function (value, i) {
    value = String(value || "").trim();
    if (value) { values.push(value); labels.push(String(given[i] || "").trim().slice(0, 40)); }
  });
  return { values: values.concat(older.values), labels: labels.concat(older.labels) };
}

// The full new-contact form (lte.crm.forms.ContactForm) as the API's contact: every field it has.
function contactFromForm(form) {
  var body = {};
  ["first_name", "last_name", "company", "job_title", "source", "stage"].forEach(function (name) {
    var value = text(form, name);
    if (value) { body[name] = value; }
  });
  if (!body.first_name && !body.last_name) { return null; }
  var phones = rows(form, "phone", "phone_label", labelled(text(form, "phones")));
  var emails = rows(form, "email", "email_label", labelled(text(form, "emails")));
  body.phones = phones.values;
  body.phone_labels = phones.labels;
  body.emails = emails.values;
  body.email_labels = emails.labels;
  body.tags = text(form, "tags").split(",").map(function (tag) { return tag.trim(); }).filter(Boolean);
  var addresses = [text(form, "address")].concat(text(form, "more_addresses").split(/\n\s*\n/))
    .map(function (block) { return block.trim(); }).filter(Boolean);
  if (addresses.length) { body.addresses = addresses.map(function (a) { return { label: "", value: a }; }); }
  var urls = lines(text(form, "urls"));
  if (urls.length) { body.urls = urls.map(function (u) { return { label: "", value: u }; }); }
  var birthday = text(form, "birthday");
  if (birthday) { body.birthday = form.get("birthday_no_year") ? "--" + birthday.slice(5) : birthday; }
  if (text(form, "customer_since")) { body.customer_since = text(form, "customer_since"); }
  var every = parseInt(text(form, "reorder_every_days"), 10);
  if (every > 0) { body.reorder_every_days = every; }
  var social = {};
  var handles = form.getAll("social_handle");
  var networks = form.getAll("social_network");
  handles.forEach(function (handle, i) {
    handle = String(handle || "").trim();
    if (handle) { social[String(networks[i] || "other").trim().slice(0, 20)] = handle; }
  });
  lines(text(form, "social")).forEach(function (line) {
    var at = line.indexOf(":");
    if (at > 0 && line.slice(at + 1).trim()) { social[line.slice(0, at).trim().slice(0, 20)] = line.slice(at + 1).trim(); }
  });
  if (Object.keys(social).length) { body.social = social; }
  return body;
}

function dueAt(form) {
  var days = parseInt(text(form, "in_days"), 10);
  if (days > 0) {
    var day = new Date();
    day.setDate(day.getDate() + days);
    day.setHours(9, 0, 0, 0); // as the page does: 09:00 that day
    return day.toISOString();
  }
  var picked = text(form, "due_at");
  var when = picked ? new Date(picked) : null; // datetime-local: this phone's time
  return when && !isNaN(when.getTime()) ? when.toISOString() : null;
}

// The API call a form stands for, and a few words to show while it waits (what was typed stays on the phone).
function apiCall(form, target) {
  if (target.kind === "contact") {
    var first = text(form, "first_name");
    var last = text(form, "last_name");
    if (!first && !last) { return null; }
    var phone = text(form, "phone");
    var email = text(form, "email");
    return { kind: "contact", url: "/api/v1/contacts", label: (first + " " + last).trim(),
      body: { first_name: first, last_name: last, phones: phone ? [phone] : [], emails: email ? [email] : [] } };
  }
  if (target.kind === "contact-form") {
    var full = contactFromForm(form);
    if (!full) { return null; }
    return { kind: "contact", url: "/api/v1/contacts", body: full,
      label: ((full.first_name || "") + " " + (full.last_name || "")).trim() };
  }
  if (target.kind === "note") {
    var body = text(form, "body");
    if (!body) { return null; }
    return { kind: "note", url: "/api/v1/contacts/" + target.contactId + "/notes", label: body.slice(0, 60),
      body: { body: body } };
  }
  var due = dueAt(form);
  if (!due) { return null; }
  var title = text(form, "title") || LTE.followUpTitle;
  return { kind: "followup", url: "/api/v1/followups", label: title,
    body: { contact_id: target.contactId, due_at: due, title: title } };
}

async function postOrQueue(request, target) {
  var copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    var call = apiCall(await copy.formData(), target);
    var back = request.referrer || LTE.start;
    if (!call) { return Response.redirect(back, 303); } // the page will say what is missing once online
    call.account = (await LTEOutbox.getMeta("account")) || "";
    await LTEOutbox.add(call);
    try { await self.registration.sync.register("lte-outbox"); } catch (unsupported) { /* the pages ask */ }
    await tellPages();
    return Response.redirect(back, 303);
  }
}

async function flush() {
  var sent = await LTEOutbox.flush(LTE.offline);
  await tellPages();
  return sent;
}

async function tellPages() {
  var windows = await self.clients.matchAll({ type: "window" });
  windows.forEach(function (client) { client.postMessage({ type: "outbox" }); });
}
