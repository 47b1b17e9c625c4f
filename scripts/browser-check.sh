#!/usr/bin/env bash
# Opens report.html of a small default run in a real browser (headless Chromium) and checks
# what a reader would get: the page loads from a file:// URL with no console message (its
# Content-Security-Policy turns any request the page tried into one, so "no console message"
# also means "no request"), screenshots at 1280 px and at a 390 px phone width are not blank,
# and the headline numbers of the page as the browser built it equal summary.json.
#
# Usage: scripts/browser-check.sh   (PIVOTSIM=path/to/pivotsim to test a given binary)
# Artefacts (screenshots, DOM, browser log) stay in target/report-check/.
# In CI (CI set) a missing Chromium is installed with apt (Debian's `chromium`, as root);
# elsewhere the check is skipped with a message when Chromium is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."

find_chromium() { command -v chromium || command -v chromium-browser || true; }

CHROMIUM=$(find_chromium)
if [ -z "$CHROMIUM" ]; then
  if [ -n "${CI:-}" ]; then
    echo "browser check: installing Debian's chromium package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
    CHROMIUM=$(find_chromium)
    [ -n "$CHROMIUM" ] || { echo "browser check: chromium did not install" >&2; exit 1; }
  else
    echo "browser check SKIPPED: no chromium on this machine (apt-get install chromium to run it; CI installs it)"
    exit 0
  fi
fi
"$CHROMIUM" --version

BIN=${PIVOTSIM:-target/release/pivotsim}
if [ ! -x "$BIN" ]; then
  cargo build --release --quiet
fi
OUT=$PWD/target/report-check
rm -rf "$OUT"
mkdir -p "$OUT"
PROFILES=$(mktemp -d)
trap 'rm -rf "$PROFILES"' EXIT

# A fresh profile per launch, and nothing of Chromium's own that phones home; at most two
# minutes per launch.
browser() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --hide-scrollbars \
    --user-data-dir="$(mktemp -d -p "$PROFILES")" "$@"
}

# Loads PAGE, writes its DOM to DOM and Chromium's log to LOG; fails when the log holds a
# console message of the page (an error, or a request the policy blocked).
load() {
  local page=$1 dom=$2 log=$3
  browser --enable-logging=stderr --v=1 --dump-dom "file://$page" >"$dom" 2>"$log"
  test -s "$dom" || { echo "browser check: $page: empty DOM" >&2; return 1; }
  if grep -E ':CONSOLE[:(]' "$log"; then
    return 1
  fi
}

echo "browser check: a small default run"
"$BIN" run --runs 200 --seed 1 --out "$OUT/run" --quiet >/dev/null
REPORT=$OUT/run/report.html

# The detector must be able to fail: a copy of the page that loads an image from the web
# has to produce a console message (the policy blocks the request and says so).
sed 's|<main>|<main><img src="https://example.invalid/x.png" alt="">|' "$REPORT" >"$OUT/run/fetching.html"
if load "$OUT/run/fetching.html" "$OUT/fetching-dom.html" "$OUT/fetching.log" >/dev/null; then
  echo "browser check FAILED: a page that fetches an image gave no console message" >&2
  exit 1
fi
rm "$OUT/run/fetching.html"

load "$REPORT" "$OUT/dom.html" "$OUT/browser.log" || {
  echo "browser check FAILED: report.html logged console messages (above)" >&2
  exit 1
}
echo "browser check: report.html loaded with no console message and no request"

for width in 1280 390; do
  height=2000
  [ "$width" = 390 ] && height=1600
  browser --window-size="$width,$height" --screenshot="$OUT/report-$width.png" \
    "file://$REPORT" 2>"$OUT/screenshot-$width.log" >/dev/null
done

cargo run --release --quiet --example report_check -- \
  "$OUT/dom.html" "$OUT/run/summary.json" "$OUT/report-1280.png" "$OUT/report-390.png"
echo "browser check passed; screenshots in target/report-check/"
