// Wide tables scroll inside their own box on a phone instead of making the whole page
// scroll sideways. Each box is a named, focusable region so keyboard users can scroll it.
// Without this file app.css lets the table itself scroll (html:not(.js) table).
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.parentElement.classList.contains("table-scroll")) { return; }
    var box = document.createElement("div");
    box.className = "table-scroll";
    box.setAttribute("role", "region");
    box.setAttribute("tabindex", "0");
    var caption = table.querySelector("caption");
    box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });
});
