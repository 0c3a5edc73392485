// Live validation of the episode form: only fields the coordinator has touched show errors,
// so a half-filled form is not covered in "required" messages. The server decides every rule.
(function () {
  var form = document.getElementById("episode-form");
  if (!form) return;
  var touched = new Set();
  if (form.querySelector(".field-errors .error")) {
    form.querySelectorAll("[name]").forEach(function (el) { touched.add(el.name); });
  }
  form.addEventListener("change", function (event) { if (event.target.name) touched.add(event.target.name); });
  form.addEventListener("input", function (event) { if (event.target.name) touched.add(event.target.name); });
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt !== form) return;
    event.detail.parameters["touched"] = Array.from(touched);
  });
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
