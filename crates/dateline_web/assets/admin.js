// Dateline newsroom: small enhancements. Every page works without this file.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector('input[name="_csrf"]');
    return input ? input.value : "";
  }

  // Live preview of the Markdown body, rendered and sanitized by the server.
  var body = document.getElementById("body");
  var preview = document.getElementById("live-preview");
  if (body && preview) {
    var section = preview.closest("section");
    var form = body.form;
    var timer = null;
    var pending = null;
    var rtl = ["ar", "fa", "he", "ur", "ps", "ckb", "yi", "dv", "sd", "ug"];
    var setDirection = function () {
      var dir = (form.elements.direction && form.elements.direction.value) || "";
      var lang = ((form.elements.language && form.elements.language.value) || "").split("-")[0];
      preview.dir = dir || (rtl.indexOf(lang) >= 0 ? "rtl" : "ltr");
      preview.lang = lang || "";
    };
    var render = function () {
      if (pending) { pending.abort(); }
      pending = new AbortController();
      var data = new URLSearchParams();
      data.set("_csrf", csrfToken(form));
      data.set("body", body.value);
      fetch("/admin/preview/body", { method: "POST", body: data, signal: pending.signal, credentials: "same-origin" })
        // A body the renderer refuses comes back as the reason, shown in its place.
        .then(function (r) { return r.ok || r.status === 422 ? r.text() : Promise.reject(r.status); })
        .then(function (html) { preview.innerHTML = html; setDirection(); })
        .catch(function () {});
    };
    section.hidden = false;
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 350);
    });
    ["language", "direction"].forEach(function (name) {
      if (form.elements[name]) { form.elements[name].addEventListener("change", setDirection); }
    });
    render();

    // "Ask readers about this paragraph": the question line at the end of
    // the paragraph the cursor is in, its words selected to be typed over.
    var ask = document.createElement("button");
    ask.type = "button";
    ask.className = "secondary ask-readers";
    ask.textContent = "Ask readers about this paragraph";
    ask.addEventListener("click", function () {
      var text = body.value;
      var end = text.indexOf("\n\n", body.selectionEnd);
      if (end < 0) { end = text.replace(/\s+$/, "").length; }
      var placeholder = "Your question?";
      var line = "\n{? " + placeholder + " }";
      body.value = text.slice(0, end) + line + text.slice(end);
      var start = end + line.indexOf(placeholder);
      body.focus();
      body.setSelectionRange(start, start + placeholder.length);
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
    body.insertAdjacentElement("afterend", ask);

    // Warn before leaving with unsaved changes.
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (e) {
      if (dirty) { e.preventDefault(); e.returnValue = ""; }
    });
  }

  // Addresses and new tokens: selected whole when focused, ready to copy.
  document.querySelectorAll("input.copy").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });

  // Ask before a delete that has no page of its own (only when that button
  // sent the form: the moderation queue has many buttons in one form).
  document.querySelectorAll("form button.danger").forEach(function (button) {
    button.form.addEventListener("submit", function (e) {
      var by = e.submitter || button;
      if (by === button && !window.confirm(button.textContent.trim() + "?")) { e.preventDefault(); }
    });
  });

  // Focus the list of problems after a failed save.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
