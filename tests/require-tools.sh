#!/bin/sh
# The programs the full test suite drives besides Python: Java (HermiT, `ics-graph reason`),
# Chromium (the interactive page in a real browser), LibreOffice (workbooks in a real
# spreadsheet program), Virtuoso 7 (a SPARQL server for `--store sparql:`) and axe-core (accessibility checks run in Chromium; pinned in
# tests/js/package-lock.json, installed into tests/js/node_modules, which git ignores, with
# npm, itself installed with apt-get when missing). `make test` runs this first. When one is
# missing: as root on a Debian-like machine it is installed with apt-get; otherwise this stops
# at once, saying the one command that installs them (or `make test-quick`, the suite
# without those tests).
set -eu

missing=""
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
# as tests/chromium.py finds it: $CHROMIUM, or one of the usual names on PATH
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 \
    && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1 \
    && ! command -v google-chrome-stable >/dev/null 2>&1; then
  missing="$missing chromium"
fi
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 \
  || missing="$missing libreoffice-calc-nogui"
# Virtuoso 7, the SPARQL server tests/test_virtuoso.py starts (virtuoso-t, and isql-vt to grant updates)
command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1 \
  || missing="$missing virtuoso-opensource"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== Installing what the tests need:$missing"
    apt-get update -qq
    # The Virtuoso package asks for the password of its own database's dba account (the
    # tests start a private server with a database of their own): answered beforehand.
    case "$missing" in *virtuoso-opensource*)
      for question in dba-password dba-password-again; do
        echo "virtuoso-opensource-7 virtuoso-opensource-7/$question password dba"
      done | debconf-set-selections ;;
    esac
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  else
    echo "The test suite needs Java, Chromium, LibreOffice, Virtuoso and Node.js with npm; missing (Debian packages):$missing" >&2
    echo "Install them with:" >&2
    echo "    sudo apt-get install -y default-jre-headless chromium libreoffice-calc-nogui virtuoso-opensource nodejs npm" >&2
    echo "or run the tests that need none of them with:  make test-quick" >&2
    exit 1
  fi
fi

# axe-core, exactly the version in the lock file: `npm ci` when it is absent or another version.
js="$(dirname "$0")/js"
if ! (cd "$js" && node -e '
  const want = require("./package-lock.json").packages["node_modules/axe-core"].version;
  let have = null;
  try { have = require("./node_modules/axe-core/package.json").version; } catch (e) {}
  process.exit(have === want && require("fs").existsSync("node_modules/axe-core/axe.min.js") ? 0 : 1);
'); then
  echo "== Installing axe-core for the tests (npm ci in $js)"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
fi
