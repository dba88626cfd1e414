#!/usr/bin/env bash
# Opens the cohort HTML report in a real headless browser (Chromium from Debian: apt-get install -y
# chromium) and checks that it renders, that every thumbnail loads and that clicking a heading sorts
# the rows. Not run by CI; run by hand after changing Sources/VibeSegKit/Report*.swift.
#
# usage: scripts/check-report-in-chromium.sh [REPORT_DIR]
#   REPORT_DIR holds report.html (and its thumbnails). Without it, the synthetic cohort of
#   Tests/VibeSegKitTests/ReportTests.swift (8 cases, real preview PNGs) is written to a temporary
#   folder by running that test with VIBESEG_REPORT_OUTPUT set.
#   SCRATCH=dir picks the build folder (default .build); SKIP_BUILD=1 runs the tests already built there.
#   SCREENSHOT=path copies the rendered page there (docs/images/report-example.png is made so).
#
# Steps: serve the folder on 127.0.0.1 (python3 -m http.server) so the page and a harness page share
# an origin; the harness loads report.html in an iframe, counts images that loaded (complete with a
# natural width), clicks the "liver (mL)" heading twice and the "case" heading once, checks the row
# order after each click, and writes a JSON verdict into its DOM; Chromium's --dump-dom prints that
# DOM after the scripted clicks. A --screenshot of the report itself shows that it renders.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 69; }
WORK=$(mktemp -d /tmp/vibeseg-report-check.XXXXXX)
if [ $# -ge 1 ]; then
  REPORT_DIR=$(cd "$1" && pwd)
else
  REPORT_DIR="$WORK/report"
  mkdir -p "$REPORT_DIR"
  VIBESEG_REPORT_OUTPUT="$REPORT_DIR" swift test --scratch-path "${SCRATCH:-.build}" ${SKIP_BUILD:+--skip-build} --filter "ReportTests" >"$WORK/swift-test.log" 2>&1 \
    || { tail -20 "$WORK/swift-test.log" >&2; exit 1; }
fi
[ -f "$REPORT_DIR/report.html" ] || { echo "no report.html in $REPORT_DIR" >&2; exit 66; }

cat >"$REPORT_DIR/chromium-check.html" <<'HTML'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>report check</title></head>
<body>
<iframe id="report" src="report.html" width="1400" height="900"></iframe>
<pre id="result">not run</pre>
<script>
window.addEventListener("load", function () {
  var out = { ok: false };
  try {
    var doc = document.getElementById("report").contentDocument;
    var images = Array.prototype.slice.call(doc.images);
    out.images = images.length;
    out.imagesLoaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
    var headers = Array.prototype.slice.call(doc.querySelectorAll("#cases thead th"));
    var names = headers.map(function (th) { return th.textContent; });
    function values(index) {
      return Array.prototype.map.call(doc.querySelectorAll("#cases tbody tr"), function (tr) {
        return tr.cells[index].getAttribute("data-sort");
      });
    }
    function ordered(list, compare) {
      var filled = list.filter(function (v) { return v !== ""; });
      var blanksLast = list.slice(filled.length).every(function (v) { return v === ""; });
      for (var n = 1; n < filled.length; n++) if (compare(filled[n - 1], filled[n]) > 0) return false;
      return blanksLast;
    }
    var liver = names.indexOf("liver (mL)");
    out.rows = values(0).length;
    out.initialOrder = values(0);
    headers[liver].querySelector("button").click();
    out.liverAscending = values(liver);
    var ascending = ordered(out.liverAscending, function (a, b) { return parseFloat(a) - parseFloat(b); })
      && headers[liver].getAttribute("aria-sort") === "ascending";
    headers[liver].querySelector("button").click();
    out.liverDescending = values(liver);
    var descending = ordered(out.liverDescending, function (a, b) { return parseFloat(b) - parseFloat(a); })
      && headers[liver].getAttribute("aria-sort") === "descending";
    headers[0].querySelector("button").click();
    out.caseAscending = values(0);
    var byCase = ordered(out.caseAscending, function (a, b) { return a.localeCompare(b, undefined, { numeric: true }); });
    out.sorting = { liverAscending: ascending, liverDescending: descending, caseAscending: byCase };
    out.ok = out.rows > 0 && out.images > 0 && out.imagesLoaded === out.images && ascending && descending && byCase
      && out.liverAscending.join() !== out.liverDescending.join();
  } catch (e) {
    out.error = String(e);
  }
  document.getElementById("result").textContent = "RESULT " + JSON.stringify(out);
});
</script>
</body></html>
HTML

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$REPORT_DIR" >"$WORK/http.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$REPORT_DIR/chromium-check.html"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/report.html" >/dev/null 2>&1 && break; sleep 0.1; done

FLAGS=(--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$WORK/profile")
"$CHROMIUM" "${FLAGS[@]}" --virtual-time-budget=10000 --dump-dom "http://127.0.0.1:$PORT/chromium-check.html" \
  >"$WORK/dom.html" 2>"$WORK/chromium-dom.log"
"$CHROMIUM" "${FLAGS[@]}" --virtual-time-budget=10000 --window-size=1400,1000 --screenshot="$WORK/report.png" \
  "http://127.0.0.1:$PORT/report.html" >"$WORK/chromium-shot.log" 2>&1

RESULT=$(grep -o 'RESULT {.*}' "$WORK/dom.html" | sed 's/^RESULT //; s/&quot;/"/g; s/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g' || true)
echo "chromium: $("$CHROMIUM" --version 2>/dev/null)"
echo "harness verdict: ${RESULT:-none (see $WORK/chromium-dom.log)}"
python3 - "$WORK/report.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is not a PNG"
width, height = struct.unpack(">II", data[16:24])
print(f"screenshot: {width}x{height}, {len(data)} bytes")
assert width >= 1000 and height >= 700 and len(data) > 20000, "screenshot looks empty"
PY
if [ -n "${SCREENSHOT:-}" ]; then cp "$WORK/report.png" "$SCREENSHOT"; fi
echo "$RESULT" | grep -q '"ok":true' || { echo "FAILED: the report did not pass in Chromium" >&2; exit 1; }
echo "OK: report renders, all $(echo "$RESULT" | grep -o '"images":[0-9]*' | cut -d: -f2) thumbnails load, sorting works (files in $WORK)"
