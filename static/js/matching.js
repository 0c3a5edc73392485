// Cohort matching: the score beside each candidate, and the total, follow the day chosen for it.
(function () {
  "use strict";
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  function refresh() {
    var total = 0;
    document.querySelectorAll("td[data-score-for]").forEach(function (cell) {
      var select = document.getElementById(cell.getAttribute("data-score-for"));
      var option = select && select.options[select.selectedIndex];
      var score = option && option.value ? option.getAttribute("data-score") : "";
      cell.textContent = score ? number.format(parseFloat(score)) : "—";
      if (score) total += parseFloat(score);
    });
    var shown = document.getElementById("chosen-total");
    if (shown) shown.textContent = number.format(total);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("td[data-score-for]").forEach(function (cell) {
      var select = document.getElementById(cell.getAttribute("data-score-for"));
      if (select) select.addEventListener("change", refresh);
    });
  });
})();
