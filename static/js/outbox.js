// The offline outbox: API writes made with no connection, kept in IndexedDB on this phone until the server has
// them. Shared by the service worker (lte/site/sw.js, through importScripts) and the pages (lte.js).
//
// Each entry is one POST to /api/v1 with its own Idempotency-Key, chosen when it was queued: sending it twice
// (a retry after a lost answer, the page and Background Sync at once) writes it once (CONTRACT.md, "Writes").
// An entry is the account's that wrote it (an opaque marker from base.html) and is only ever sent for it.
// Entries leave the queue on a 2xx; on another 4xx (the server refused what was typed) they stay, as "not
// accepted", so what the seller typed is never lost without them seeing it, until they dismiss it.
// Everything here is wiped on logout and account deletion (sw.js).
(function (scope) {
  "use strict";
  var DB = "lte-outbox";
  var WAITING = "waiting";
  var REFUSED = "refused";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore("requests", { keyPath: "id", autoIncrement: true });
        db.createObjectStore("meta");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result;
        Promise.resolve(work(tx.objectStore(storeName))).then(function (value) { result = value; });
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function wrap(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function all() {
    return run("requests", "readonly", function (store) { return wrap(store.getAll()); });
  }

  // A random Idempotency-Key (randomUUID where there is: older iPhones have only getRandomValues).
  function newKey() {
    if (scope.crypto.randomUUID) { return scope.crypto.randomUUID(); }
    var bytes = scope.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function add(entry) {
    entry.state = WAITING;
    entry.queuedAt = new Date().toISOString();
    entry.key = entry.key || newKey();
    return run("requests", "readwrite", function (store) { return wrap(store.add(entry)); });
  }

  function remove(id) {
    return run("requests", "readwrite", function (store) { return wrap(store.delete(id)); });
  }

  function refuse(entry, status) {
    entry.state = REFUSED;
    entry.status = status;
    return run("requests", "readwrite", function (store) { return wrap(store.put(entry)); });
  }

  function getMeta(name) {
    return run("meta", "readonly", function (store) { return wrap(store.get(name)); });
  }

  function setMeta(name, value) {
    return run("meta", "readwrite", function (store) { return wrap(store.put(value, name)); });
  }

  function clear() {
    return Promise.all([
      run("requests", "readwrite", function (store) { return wrap(store.clear()); }),
      run("meta", "readwrite", function (store) { return wrap(store.clear()); }),
    ]);
  }

  // What this account has in the outbox: {waiting: [entries], refused: [entries]}.
  function summary(account) {
    return all().then(function (entries) {
      var mine = entries.filter(function (entry) { return entry.account === account; });
      return {
        waiting: mine.filter(function (entry) { return entry.state === WAITING; }),
        refused: mine.filter(function (entry) { return entry.state === REFUSED; }),
      };
    });
  }

  // The signed-in session's CSRF token and account marker, read from a page (the offline page: no query, the
  // app's header and its logout form; the session API needs the token, and CSRF_USE_SESSIONS keeps it out of
  // cookies). null when signed out or unreachable.
  function session(pageUrl) {
    return scope.fetch(pageUrl, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (response) {
        if (response.status !== 200) { return null; }
        return response.text().then(function (html) {
          var token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
          var account = /<meta name="lte-account" content="([^"]+)"/.exec(html);
          return token && account ? { token: token[1], account: account[1] } : null;
        });
      }, function () { return null; });
  }

  function send(entry, token) {
    return scope.fetch(entry.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Idempotency-Key": entry.key },
      body: JSON.stringify(entry.body),
    });
  }

  // Sends what is waiting, oldest first; stops at the first answer that says "not now" (no connection, signed
  // out, rate-limited, a server fault) and keeps the rest for the next time. Resolves to the number sent.
  function flushOnce(pageUrl) {
    return all().then(function (entries) {
      var waiting = entries.filter(function (entry) { return entry.state === WAITING; });
      if (!waiting.length) { return 0; }
      return session(pageUrl).then(function (current) {
        if (!current) { return 0; }
        var sent = 0;
        var mine = waiting.filter(function (entry) { return entry.account === current.account; });
        var next = function (index) {
          if (index >= mine.length) { return Promise.resolve(sent); }
          var entry = mine[index];
          return send(entry, current.token).then(function (response) {
            var status = response.status;
            if (status >= 200 && status < 300) {
              sent += 1;
              return remove(entry.id).then(function () { return next(index + 1); });
            }
            if (status >= 400 && status < 500 && [401, 403, 408, 429].indexOf(status) === -1) {
              return refuse(entry, status).then(function () { return next(index + 1); });
            }
            return sent;
          }, function () { return sent; });
        };
        return next(0);
      });
    });
  }

  // One sender at a time across the worker and every tab (Web Locks where there are): a second caller waits.
  function flush(pageUrl) {
    var locks = scope.navigator && scope.navigator.locks;
    if (locks) {
      return locks.request("lte-outbox", function () { return flushOnce(pageUrl); });
    }
    return flushOnce(pageUrl);
  }

  scope.LTEOutbox = {
    add: add, all: all, remove: remove, clear: clear, summary: summary, flush: flush,
    getMeta: getMeta, setMeta: setMeta,
  };
})(self);
