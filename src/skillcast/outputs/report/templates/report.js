(function () {
  "use strict";
  var root = document.documentElement;
  var toggle = document.getElementById("lang-toggle");

  function setLang(lang) {
    root.lang = lang;
    root.classList.remove("lang-vi", "lang-en");
    root.classList.add("lang-" + lang);
    // option elements cannot hold the two spans: their text is swapped instead
    Array.prototype.forEach.call(document.querySelectorAll("option[data-vi]"), function (o) {
      o.textContent = o.getAttribute("data-" + lang);
    });
    toggle.setAttribute("aria-pressed", lang === "en" ? "true" : "false");
    describeFilter();
  }

  var cluster = document.getElementById("shortage-cluster");
  var year = document.getElementById("shortage-year");

  function describeFilter() {
    var note = document.getElementById("shortage-filter-note");
    if (!note || !cluster) { return; }
    note.textContent = cluster.options[cluster.selectedIndex].textContent + " · " + year.value;
  }

  function filter() {
    if (!cluster || !year) { return; }
    var shown = 0;
    Array.prototype.forEach.call(
      document.querySelectorAll("#shortage-table tbody tr"),
      function (row) {
        var on = row.getAttribute("data-cluster") === cluster.value &&
          row.getAttribute("data-year") === year.value;
        row.hidden = !on;
        if (on) {
          shown += 1;
          row.cells[0].textContent = String(shown);
        }
      }
    );
    document.getElementById("shortage-empty").hidden = shown > 0;
    describeFilter();
  }

  toggle.addEventListener("click", function () {
    setLang(root.lang === "vi" ? "en" : "vi");
  });
  if (cluster && year) {
    cluster.addEventListener("change", filter);
    year.addEventListener("change", filter);
    filter();
  }
  if (window.location.hash === "#en") { setLang("en"); }
})();
