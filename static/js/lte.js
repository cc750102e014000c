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
