// Show only the fields that fit the answer given: a group marked data-reveal-when="basis"
// data-reveal-values="court_order emergency" (includes/fields.html) shows only while the
// radio "basis" has one of those values, and is disabled while hidden so nothing unseen is
// sent. A group holding a field with an error always shows.
// Progressive enhancement: without this file every group shows and the server checks them.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form").forEach(function (form) {
    var groups = Array.prototype.slice.call(form.querySelectorAll("[data-reveal-when]"));
    if (!groups.length) { return; }
    var controls = groups.map(function (group) { return group.getAttribute("data-reveal-when"); });

    function chosen(name) {
      var checked = Array.prototype.filter.call(form.elements, function (el) {
        return el.name === name && el.checked;
      });
      return checked.length ? checked[0].value : null;
    }

    function setEnabled(group, enabled) {
      if (group.tagName === "FIELDSET") { group.disabled = !enabled; return; }
      group.querySelectorAll("input, select, textarea, button").forEach(function (control) {
        control.disabled = !enabled;
      });
    }

    function update() {
      groups.forEach(function (group) {
        var value = chosen(group.getAttribute("data-reveal-when"));
        var fits = value !== null && group.getAttribute("data-reveal-values").split(" ").indexOf(value) >= 0;
        var show = fits || group.querySelector(".field-error") !== null;
        group.hidden = !show;
        setEnabled(group, show);
      });
    }

    form.addEventListener("change", function (event) {
      if (controls.indexOf(event.target.name) >= 0) { update(); }
    });
    update();
  });
});
