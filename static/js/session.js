// Never lose typed work (progressive enhancement: the server keeps a late form as a draft
// anyway, accounts.drafts).
// 1. Before the idle timeout, an accessible warning offers "Stay signed in": a keep-alive
//    POST that restarts the idle timer only (never the absolute lifetime).
// 2. After signing in again, a kept draft is put back into its form.
// 3. A confirmation message is moved to where the page lands (a #fragment), so it is seen.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function clock(seconds) {
    var at = new Date(Date.now() + seconds * 1000);
    return at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  // --- 1. The session warning -------------------------------------------------------------
  function sessionWarning(body) {
    var warnBefore = Number(body.dataset.sessionWarn);
    var url = body.dataset.keepAlive;
    var timer = null;
    var dialog = null;
    var returnFocus = null;

    function build() {
      dialog = document.createElement("div");
      dialog.className = "session-warning";
      dialog.setAttribute("role", "alertdialog");
      dialog.setAttribute("aria-labelledby", "session-warning-title");
      dialog.setAttribute("aria-describedby", "session-warning-text");
      dialog.hidden = true;
      var title = document.createElement("h2");
      title.id = "session-warning-title";
      var text = document.createElement("p");
      text.id = "session-warning-text";
      var actions = document.createElement("div");
      actions.className = "actions";
      var stay = document.createElement("button");
      stay.type = "button";
      stay.className = "session-stay";
      stay.textContent = "Stay signed in";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "button-link session-close";
      close.textContent = "Close";
      actions.appendChild(stay);
      actions.appendChild(close);
      dialog.appendChild(title);
      dialog.appendChild(text);
      dialog.appendChild(actions);
      document.body.appendChild(dialog);
      stay.addEventListener("click", keepAlive);
      close.addEventListener("click", hide);
      dialog.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { hide(); }
      });
    }

    function show(title, text, canStay) {
      if (!dialog) { build(); }
      dialog.querySelector("h2").textContent = title;
      dialog.querySelector("p").textContent = text;
      dialog.querySelector(".session-stay").hidden = !canStay;
      if (dialog.hidden) { returnFocus = document.activeElement; }
      dialog.hidden = false;
      dialog.querySelector(canStay ? ".session-stay" : ".session-close").focus();
    }

    function hide() {
      if (!dialog) { return; }
      dialog.hidden = true;
      if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
    }

    function schedule(idle, lifetime) {
      window.clearTimeout(timer);
      var endsIn = Math.min(idle, lifetime);
      var lifetimeFirst = lifetime <= idle;
      timer = window.setTimeout(function () {
        if (lifetimeFirst) {
          show("Your session ends soon",
            "Sessions last a limited time: yours ends at " + clock(endsIn > warnBefore ? warnBefore : endsIn) +
            ". Send any form you are working on; if it arrives later, what you typed is kept until you sign in again.",
            false);
        } else {
          show("You will be signed out soon",
            "You have not used the system for a while, so you will be signed out at " + clock(Math.min(warnBefore, endsIn)) +
            ". Choose \u201cStay signed in\u201d to carry on.",
            true);
        }
      }, Math.max(endsIn - warnBefore, 0) * 1000);
    }

    function keepAlive() {
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) { throw new Error("ended"); }
        return response.json();
      }).then(function (data) {
        hide();
        schedule(data.idle_seconds, data.lifetime_seconds);
      }).catch(function () {
        show("Your session has ended",
          "Sign in again to carry on. If you send the form on this page now, what you typed is kept until you have signed in.",
          false);
      });
    }

    schedule(Number(body.dataset.sessionIdle), Number(body.dataset.sessionLifetime));
  }

  // --- 2. A kept draft back into its form --------------------------------------------------
  function restoreDraft() {
    var data = document.getElementById("restored-draft-fields");
    var panel = document.getElementById("restored-draft");
    if (!data || !panel) { return; }
    var fields = JSON.parse(data.textContent);
    var action = panel.dataset.action;
    var forms = Array.prototype.filter.call(document.querySelectorAll("form[method=post]"), function (form) {
      return new URL(form.action, window.location.href).pathname === action;
    });
    if (!forms.length) { return; }
    var form = forms[0];
    Object.keys(fields).forEach(function (name) {
      var values = fields[name];
      Array.prototype.forEach.call(form.elements, function (element) {
        if (element.name !== name || element.type === "hidden" || element.type === "file" || element.type === "password") { return; }
        if (element.type === "checkbox" || element.type === "radio") {
          element.checked = values.indexOf(element.value) !== -1;
        } else if (element.tagName === "SELECT" && element.multiple) {
          Array.prototype.forEach.call(element.options, function (option) { option.selected = values.indexOf(option.value) !== -1; });
        } else {
          element.value = values[0];
        }
      });
    });
  }

  // --- 3. The confirmation where the page lands ---------------------------------------------
  function messagesWhereWeLand() {
    var box = document.querySelector(".messages");
    if (!box || !window.location.hash) { return; }
    var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (!target || target === box || box.contains(target)) { return; }
    target.parentNode.insertBefore(box, target);
    target.scrollIntoView();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.keepAlive) { sessionWarning(document.body); }
    restoreDraft();
    messagesWhereWeLand();
  });
})();
