extension CohortReport {
  /// Inline styles: a plain table, sticky headings, flagged rows tinted, outlier cells marked.
  static let stylesheet = """

    body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
    table { border-collapse: collapse; }
    th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }
    td[data-sort] { text-align: right; }
    td:first-child, td:nth-child(2), td:nth-child(3) { text-align: left; }
    thead th { position: sticky; top: 0; background: #f2f2f2; }
    th button { font: inherit; font-weight: bold; border: 0; background: none; cursor: pointer; padding: 0; }
    th[aria-sort="ascending"] button::after { content: " \\25B2"; }
    th[aria-sort="descending"] button::after { content: " \\25BC"; }
    tr.flagged td:first-child { border-left: 4px solid #d33; }
    tr.notdone td { color: #777; }
    tr.notdone .status { color: #b00; font-weight: bold; }
    td.outlier { background: #fdd; font-weight: bold; }
    td.none { color: #999; }
    td ul { margin: 0.2em 0 0 1em; padding: 0; text-align: left; }
    img { display: block; height: auto; }

    """

  /// Inline sorting: a click on a heading sorts the rows by that column's `data-sort` values, numbers
  /// numerically (`data-type="number"`), text by `localeCompare` with numeric collation; blanks last;
  /// a second click on the same heading reverses. `Array.prototype.sort` is stable, so ties keep
  /// their previous order.
  static let sortScript = """

    (function () {
      var table = document.getElementById("cases");
      var headers = table.tHead.rows[0].cells;
      function sortBy(index) {
        var th = headers[index];
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        for (var h = 0; h < headers.length; h++) headers[h].setAttribute("aria-sort", "none");
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.getAttribute("data-type") === "number";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].getAttribute("data-sort"), y = b.cells[index].getAttribute("data-sort");
          if (x === "" || y === "") return (x === "") - (y === "");
          var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, undefined, { numeric: true });
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      Array.prototype.forEach.call(headers, function (th, index) {
        th.querySelector("button").addEventListener("click", function () { sortBy(index); });
      });
    })();

    """
}
