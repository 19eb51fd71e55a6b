// Record consent: show only the fields for the way consent was given.
// Progressive enhancement: without this file every field is shown and the server checks them.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("[data-consent-method-form]");
  if (!form) { return; }
  var fieldsByMethod = {
    written: ["id_evidence"],
    verbal: ["id_witness_name", "id_verbal_notes", "id_explicit_statement"],
    electronic: ["id_electronic_reference"]
  };
  function wrapper(id) {
    var input = document.getElementById(id);
    return input ? input.closest(".field") : null;
  }
  function update() {
    var chosen = form.querySelector("input[name=method]:checked");
    Object.keys(fieldsByMethod).forEach(function (method) {
      fieldsByMethod[method].forEach(function (id) {
        var field = wrapper(id);
        if (!field) { return; }
        // A field with an error is never hidden.
        var show = !chosen || chosen.value === method || field.classList.contains("field-error");
        field.hidden = !show;
      });
    });
  }
  form.querySelectorAll("input[name=method]").forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();
});
