#!/usr/bin/env bash
# The console's browser test drives a real Chromium through playwright-core, which downloads no
# browser of its own here: it uses Debian's `chromium`. Installs it when we can (root with
# apt-get); otherwise says how, and exits 0 so the other tests still run. The browser test then
# fails with the same instruction: it is never skipped.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x /usr/bin/chromium ]; then
  echo "ensure-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not executable; /usr/bin/chromium is." >&2
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium for the console's browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  install() { apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
  # The package lists may be stale or absent on a fresh machine: refresh them only if needed.
  if install || { apt-get update -qq && install; }; then
    exit 0
  fi
  echo "ensure-chromium: apt-get could not install chromium" >&2
fi

cat >&2 <<'EOF'
ensure-chromium: no Chromium found at /usr/bin/chromium (or CHROMIUM_PATH).
The console's browser test (test/console.browser.test.ts) needs it. Install it with:
  sudo apt-get install chromium
or point CHROMIUM_PATH at a Chromium or Chrome binary.
EOF
exit 0
