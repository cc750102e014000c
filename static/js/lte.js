// LTE's own script: small, no third party. Loaded with `defer` from our origin (CSP: script-src 'self').
(function () {
  "use strict";
  // Signup: send the browser's timezone so "today" means today where the seller is.
  var tz = document.querySelector('input[name="timezone"]');
  if (tz && !tz.value && window.Intl) {
    try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep UTC */ }
  }
  // The settings tabs scroll sideways on a phone: the current page's tab is in view, not off the edge.
  var current = document.querySelector(".settings > .tabs [aria-current=page]");
  if (current && current.parentElement.scrollWidth > current.parentElement.clientWidth) {
    current.scrollIntoView({ block: "nearest", inline: "center" });
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
    } else if (xhr && xhr.status === 400 && event.detail.requestConfig && event.detail.requestConfig.elt &&
               event.detail.requestConfig.elt.closest("[data-inplace]")) {
      event.detail.shouldSwap = true; // an in-place form that was refused: the page with what was typed and why
      event.detail.isError = false;
    } else if (xhr && xhr.status >= 400) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });
})();

// The installable app: the service worker (/sw.js) keeps the pages seen and an outbox of what was added with
// no connection (outbox.js). This page says who is signed in (so the worker drops pages kept for anyone else),
// shows what is waiting to be sent, and asks the worker to send it whenever the connection is back.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }
  var meta = document.querySelector('meta[name="lte-account"]');
  var account = meta ? meta.getAttribute("content") : "";
  var box = document.getElementById("outbox");
  var controlledAtLoad = !!navigator.serviceWorker.controller;
  var waiting = 0;

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the app still works online */ });

  function worker() {
    return navigator.serviceWorker.ready.then(function (registration) { return registration.active; });
  }

  function say(template, count) { return template.replace("%(count)s", String(count)); }

  function render() {
    if (!box || !account || !window.LTEOutbox) { return; }
    window.LTEOutbox.summary(account).then(function (now) {
      waiting = now.waiting.length;
      box.textContent = "";
      if (now.waiting.length) {
        var line = document.createElement("p");
        line.className = "outbox-waiting";
        line.textContent = say(box.getAttribute("data-waiting"), now.waiting.length);
        box.appendChild(line);
      }
      if (now.refused.length) {
        var head = document.createElement("p");
        head.textContent = say(box.getAttribute("data-refused"), now.refused.length);
        box.appendChild(head);
        var list = document.createElement("ul");
        now.refused.forEach(function (entry) {
          var item = document.createElement("li");
          var label = document.createElement("span");
          label.setAttribute("dir", "auto");
          label.textContent = entry.label;
          var dismiss = document.createElement("button");
          dismiss.type = "button";
          dismiss.className = "button small ghost";
          dismiss.textContent = box.getAttribute("data-dismiss");
          dismiss.addEventListener("click", function () { window.LTEOutbox.remove(entry.id).then(render); });
          item.appendChild(label);
          item.appendChild(dismiss);
          list.appendChild(item);
        });
        box.appendChild(list);
      }
      box.hidden = !box.childNodes.length;
    }).catch(function () { /* no IndexedDB (private mode): nothing can have been queued */ });
  }

  function send() {
    if (navigator.onLine === false) { return; }
    worker().then(function (active) { if (active) { active.postMessage({ type: "flush" }); } });
  }

  worker().then(function (active) {
    if (!active) { return; }
    // A first visit ran before the worker existed: ask it to keep this page too.
    active.postMessage({ type: "page", account: account, keep: controlledAtLoad ? "" : window.location.href });
    send();
  });
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "outbox") { render(); }
  });
  window.addEventListener("online", send);
  render();

  // Logging out wipes the outbox (sw.js): ask first when something in it was never sent.
  // Every logout form: the header's, and the "Log out of LTE?" page's.
  Array.prototype.forEach.call(document.querySelectorAll('form[action="/accounts/logout/"]'), function (logout) {
    if (!box) { return; }
    logout.addEventListener("submit", function (event) {
      if (waiting && !window.confirm(box.getAttribute("data-logout"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, true);
  });
})();

// Tap-to-insert placeholders on the script form: each button puts its {placeholder} where the cursor is in the
// message body (and keeps the cursor after it), so a phone user never types braces.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-insert]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-target"));
    if (!field) { return; }
    event.preventDefault();
    var text = button.getAttribute("data-insert");
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? start : field.selectionEnd;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();

// The contact form (issue 15 part 3): "+ add phone / email / profile" adds a row, focused; the customer-only
// fields show only when the stage is the customer stage. Without this script the form has empty rows and
// shows every field.
(function () {
  "use strict";
  document.querySelectorAll("form[data-contact-form]").forEach(function (form) {
    form.querySelectorAll("button[data-add-row]").forEach(function (button) {
      var kind = button.getAttribute("data-add-row");
      var list = form.querySelector('[data-rows="' + kind + '"]');
      var template = form.querySelector('template[data-row-template="' + kind + '"]');
      if (!list || !template) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        list.appendChild(template.content.cloneNode(true));
        var added = list.lastElementChild && list.lastElementChild.querySelector("input");
        if (added) { added.focus(); }
      });
    });
    var stage = form.querySelector('select[name="stage"]');
    var customerOnly = form.querySelectorAll("[data-customer-only]");
    if (!stage || !customerOnly.length) { return; }
    var customer = form.getAttribute("data-customer-stage");
    var toggle = function () {
      customerOnly.forEach(function (block) {
        // Shown while it holds something, so nothing typed is hidden away.
        var filled = Array.prototype.some.call(block.querySelectorAll("input"), function (i) { return i.value; });
        block.hidden = stage.value !== customer && !filled;
      });
    };
    stage.addEventListener("change", toggle);
    toggle();
  });
})();

// In-place saves (data-inplace forms: the contact page's note, message, follow-up and stage; the board's moves):
// htmx posts them and swaps the part of the page that changed. After the swap the focus goes to what was just
// saved (data-fresh), or to the first field that was refused. With no connection the form is posted the plain
// way, so the service worker's outbox (sw.js) queues it as it queues any form post.
(function () {
  "use strict";
  var submitter = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[type=submit], button:not([type])") : null;
    submitter = button && button.form && button.form.hasAttribute("data-inplace") ? button : null;
  }, true);

  function postPlainly(form) {
    if (submitter && submitter.form === form && submitter.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = submitter.name;
      hidden.value = submitter.value;
      form.appendChild(hidden);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-inplace]");
    if (form && navigator.onLine === false) {
      event.preventDefault();
      postPlainly(form);
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.target.closest && event.target.closest("form[data-inplace]");
    if (!form) { return; }
    // A service worker answered for it (queued in the outbox): show the page as kept. Otherwise post it plainly.
    if (navigator.serviceWorker && navigator.serviceWorker.controller) { window.location.reload(); } else { postPlainly(form); }
  });

  function show(element) {
    element.focus({ preventScroll: true });
    element.scrollIntoView({ block: "center" });
  }
  document.addEventListener("htmx:afterSettle", function () {
    var fresh = document.querySelector("[data-fresh]");
    if (fresh) {
      fresh.removeAttribute("data-fresh");
      show(fresh.querySelector("[aria-pressed=true]") || fresh);
      return;
    }
    var refused = document.querySelector("[data-inplace] [aria-invalid=true], [data-inplace] .errors");
    var field = refused && refused.closest("form").querySelector("[aria-invalid=true], input:not([type=hidden]), textarea, select");
    if (field) { show(field); }
  });

  // An opened "+ Note" / "+ Follow-up" / ... fold: its first field is focused, scrolled clear of the tab bar.
  document.addEventListener("toggle", function (event) {
    var fold = event.target;
    if (!fold.open || !fold.matches || !fold.matches(".adders details, details.card")) { return; }
    var field = fold.querySelector("form input:not([type=hidden]), form textarea, form select");
    if (field) { show(field); }
  }, true);
})();
