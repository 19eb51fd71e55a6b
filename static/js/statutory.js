// Log a police or statutory request: show only the details of the basis they claim.
// Progressive enhancement: without this file every field is shown and the server checks them.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("[data-statutory-form]");
  if (!form) { return; }
  var fieldsByBasis = {
    court_order: ["order_kind", "order_reference", "order_court", "order_date", "order_copy", "scope"],
    emergency: ["emergency_kind", "emergency_urgency", "scope"],
    schedule_2: ["authorising_officer_name", "authorising_officer_rank", "schedule_2_form"]
  };
  var all = [];
  Object.keys(fieldsByBasis).forEach(function (basis) {
    fieldsByBasis[basis].forEach(function (name) { if (all.indexOf(name) < 0) { all.push(name); } });
  });
  function wrapper(name) {
    // A plain field, a radio group, or the selection chooser (scope_<category>).
    var input = form.querySelector("[name='" + name + "']") || form.querySelector("[name^='" + name + "_']");
    return input ? input.closest(".field") : null;
  }
  function update() {
    var chosen = form.querySelector("input[name=basis]:checked");
    var wanted = chosen ? (fieldsByBasis[chosen.value] || []) : all;
    all.forEach(function (name) {
      var field = wrapper(name);
      if (!field) { return; }
      // A field with an error is never hidden.
      field.hidden = wanted.indexOf(name) < 0 && !field.classList.contains("field-error");
    });
  }
  form.querySelectorAll("input[name=basis]").forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();
});
