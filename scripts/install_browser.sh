#!/usr/bin/env bash
# Installs what the HTML report build and its browser check need, offline-reproducibly:
# Debian's chromium (+ a font, so screenshots have glyphs) and the pinned npm packages in
# reports/package-lock.json (Allure 3, playwright-core). Playwright never downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix reports --no-audit --no-fund
echo "chromium: $(command -v chromium)"
echo "allure:   $(node reports/node_modules/allure/cli.js --version 2>/dev/null || echo missing)"
