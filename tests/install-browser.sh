#!/bin/sh
# Debian's headless Chromium and its WebDriver for tests/test_report_browser.py (the
# selenium package comes with the project's dev extra). Returns at once when both are
# there; otherwise installs them with apt-get, as root or through passwordless sudo.
set -eu

have() {
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/bin/$1" ]
}

if have chromium && have chromedriver; then
    exit 0
fi

fail() {
    echo "tests/install-browser.sh: $*" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 ||
    fail "no apt-get here: install chromium and chromedriver with this system's packages."

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    # -n: never stop at a password prompt (CI has no one to answer it)
    as_root="sudo -n"
else
    fail "run as root, or allow passwordless sudo, to apt-get install chromium chromium-driver."
fi

# the lists are empty on a fresh container; env passes the variable through sudo
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

have chromium && have chromedriver ||
    fail "apt-get installed chromium chromium-driver, yet chromium or chromedriver is missing."
