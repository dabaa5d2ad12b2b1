#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: uv (pinned) in .tools, the project's virtualenv from uv.lock,
# front-end assets from package-lock.json copied into static_build/vendor, compiled translations.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9

apt_install() {  # apt-get install when a system package is missing (machines run as root)
  local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if [ ! -f /tmp/.sencrm-apt-updated ]; then $SUDO apt-get update -qq && touch /tmp/.sencrm-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

command -v msgfmt >/dev/null || apt_install gettext
# WeasyPrint (PDFs) needs Pango from Debian; the font itself comes from uv.lock (fontpkg-be-vietnam-pro)
dpkg -s libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 || apt_install libpango-1.0-0 libpangoft2-1.0-0
if [ "${SETUP_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Debian's Chromium for the browser tests"
  apt_install chromium
fi

if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "==> installing uv $UV_VERSION"
  python3 -m venv .tools
  .tools/bin/pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi
.tools/bin/uv sync --frozen --quiet

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing front-end assets (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
V=static_build/vendor
mkdir -p $V/bootstrap $V/htmx $V/bootstrap-icons $V/chartjs $V/sortablejs
cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $V/bootstrap/
cp node_modules/htmx.org/dist/htmx.min.js $V/htmx/
cp node_modules/chart.js/dist/chart.umd.min.js $V/chartjs/
cp node_modules/sortablejs/Sortable.min.js $V/sortablejs/
cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $V/bootstrap-icons/

.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
