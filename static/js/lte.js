// LTE's own script: small, no third party. Loaded with `defer` from our origin (CSP: script-src 'self').
(function () {
  "use strict";
  // Signup: send the browser's timezone so "today" means today where the seller is.
  var tz = document.querySelector('input[name="timezone"]');
  if (tz && !tz.value && window.Intl) {
    try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep UTC */ }
  }
  // Select a freshly created API token on tap, ready to copy.
  var secret = document.getElementById("new-token");
  if (secret) {
    secret.addEventListener("click", function () {
      var range = document.createRange();
      range.selectNodeContents(secret);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    });
  }
})();

// The CRM pages. Everything here is an enhancement: each form also works as a plain POST without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // htmx would keep copies of visited pages (contact names, notes) in sessionStorage for "back": don't.
  // (htmx.min.js is deferred before this file, so it is already there.)
  if (window.htmx) { window.htmx.config.historyCacheSize = 0; window.htmx.config.refreshOnHistoryMiss = true; }

  // A stage <select> moves the contact as soon as it changes (its "Move" button is for no-JS).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
      if (select.form.requestSubmit) { select.form.requestSubmit(); } else { select.form.submit(); }
    }
  });

  // Forms that destroy something ask first (data-confirm="question").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  // Composing: keep the pre-filled SMS / WhatsApp / email links in step with the edited text, and
  // remember which app was opened so "Mark as sent" logs the right channel.
  var body = document.getElementById("compose-body");
  if (body) {
    var links = document.querySelectorAll("a[data-base]");
    var refresh = function () {
      var text = body.value;
      links.forEach(function (link) {
        var value = link.getAttribute("data-crlf") ? text.replace(/\r?\n/g, "\r\n") : text;
        link.setAttribute("href", link.getAttribute("data-base") + encodeURIComponent(value));
      });
    };
    body.addEventListener("input", refresh);
    links.forEach(function (link) {
      link.addEventListener("click", function () {
        var radio = document.querySelector('input[name="channel"][value="' + link.getAttribute("data-channel") + '"]');
        if (radio) { radio.checked = true; }
      });
    });
  }

  // One-tap logging: a tap that opens the phone's app (a script's send link on the compose page, Call / Text /
  // WhatsApp / Email on a contact) is logged at once, while the app opens; the answer (with its "didn't send"
  // undo) shows in the page's status box. keepalive: the request finishes even if the page goes away.
  var logTap = function (form, extra, box) {
    var data = new FormData(form);
    Object.keys(extra).forEach(function (name) { data.set(name, extra[name]); });
    window.fetch(form.action, { method: "POST", body: data, credentials: "same-origin", keepalive: true,
                                headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && box) {
          box.innerHTML = html;
          if (window.htmx) { window.htmx.process(box); }
        }
      })
      .catch(function () { /* offline: nothing was logged, the "Mark as sent" button still is there */ });
  };
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-log-sent], a[data-attempt]");
    if (!link || !window.fetch) { return; }
    if (link.hasAttribute("data-log-sent")) {
      var form = link.closest("form");
      if (form) { logTap(form, { channel: link.getAttribute("data-channel") }, document.getElementById("logged-status")); }
    } else {
      var attempt = document.getElementById("attempt-form");
      if (attempt) { logTap(attempt, { channel: link.getAttribute("data-attempt") }, document.getElementById("attempt-status")); }
    }
  });

  // "Load more": keep keyboard focus in the list, on the first row that arrived.
  var pendingRow = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var more = event.target.closest && event.target.closest("li.more");
    pendingRow = more ? more.parentElement.children.length - 1 : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (pendingRow === null) { return; }
    var list = document.getElementById("contact-rows");
    var row = list && list.children[pendingRow];
    var link = row && row.querySelector("a");
    if (link) { link.focus(); }
    pendingRow = null;
  });
})();

// htmx swaps whatever comes back. A session that timed out answers with the login page (after a
// redirect): go there instead of pasting it into a list. A failed action (the row is gone, say):
// show the page as it is now.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var url = xhr && xhr.responseURL ? new URL(xhr.responseURL) : null;
    if (url && url.origin === window.location.origin && url.pathname === "/login") {
      event.detail.shouldSwap = false;
      window.location.assign(url.href);
    } else if (xhr && xhr.status >= 400) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });
})();
