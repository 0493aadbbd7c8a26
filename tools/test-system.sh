#!/usr/bin/env bash
# What the test suite needs from the machine besides Python packages, made ready by `make test`:
# Debian packages (as root; installed when missing) and PostgreSQL answering on 127.0.0.1:5432
# with a database `test`. Each step is skipped when already done, so a warm machine goes
# straight on. Without root, missing packages are named and their tests skip (CI fails instead).
set -euo pipefail

log() { printf 'test-system: %s\n' "$*" >&2; }

# --- Debian packages -----------------------------------------------------------------------
missing=()
# Playwright drives Debian's Chromium (executable_path), not a browser it downloads itself.
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Issued PDFs are checked by independent tools: pdftotext/pdftoppm/pdffonts/pdfsig (poppler)
# and certutil, which gives pdfsig a throwaway trust store holding the development root.
command -v pdfsig >/dev/null || missing+=(poppler-utils)
command -v certutil >/dev/null || missing+=(libnss3-tools)
# SoftHSM2 is the PKCS#11 token the tests sign with (tests/integration/test_signing_pkcs11.py).
command -v softhsm2-util >/dev/null || missing+=(softhsm2)
# A Thai font for Chromium: without one Thai text renders as boxes, and the browser tests' checks
# of a phone-sized page (nothing wider than the screen) would measure the boxes instead.
{ command -v fc-list >/dev/null && fc-list :lang=th family | grep -q .; } || missing+=(fonts-tlwg-loma)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif [ -n "${CI:-}" ]; then
    log "missing ${missing[*]}; run as root (or install them) first"
    exit 1
  else
    log "missing ${missing[*]} (not root, so not installed): the tests that need them are skipped"
  fi
fi

# --- PostgreSQL ----------------------------------------------------------------------------
pg_answers() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h 127.0.0.1 -p 5432 -t 2
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}
if ! pg_answers && [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
  log "PostgreSQL does not answer on 127.0.0.1:5432; starting its cluster"
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do
    pg_answers && break
    sleep 1
  done
fi
if ! pg_answers; then
  if [ -n "${CI:-}" ]; then
    log "PostgreSQL does not answer on 127.0.0.1:5432, so its tests cannot run"
    exit 1
  fi
  log "PostgreSQL does not answer on 127.0.0.1:5432: its tests are skipped"
  exit 0
fi
# The tests create their own databases through the `test` database (trust auth as postgres).
if command -v psql >/dev/null && ! psql -h 127.0.0.1 -U postgres -d test -Atqc 'SELECT 1' >/dev/null 2>&1; then
  log "creating the database test"
  createdb -h 127.0.0.1 -U postgres test
fi
