#!/bin/sh
# Make sure a Chromium exists for the browser tests and print its path.
# Order: $CHROMIUM_PATH, the system chromium, Playwright's own Chromium,
# then (as root) Debian's chromium package.
set -eu
found() { echo "$1"; exit 0; }
[ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ] && found "$CHROMIUM_PATH"
for name in chromium chromium-browser google-chrome; do
    path=$(command -v "$name" 2>/dev/null || true)
    [ -n "$path" ] && found "$path"
done
PY=${PYTHON:-.venv/bin/python}
if "$PY" -m playwright install chromium >/dev/null 2>&1; then
    path=$("$PY" -c "from playwright.sync_api import sync_playwright as s; p=s().start(); print(p.chromium.executable_path); p.stop()" 2>/dev/null || true)
    [ -n "$path" ] && [ -x "$path" ] && found "$path"
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1)) || true
    path=$(command -v chromium 2>/dev/null || true)
    [ -n "$path" ] && found "$path"
fi
echo "no Chromium found: install the 'chromium' package or run 'playwright install chromium'" >&2
exit 1
