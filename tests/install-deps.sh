#!/usr/bin/env bash
# Installs what building and testing sqlite-embed needs on a fresh Debian 12
# machine (run as root, or with sudo available).  `make deps` runs this.
#
#   build:  gcc make pkg-config libsqlite3-dev libopenblas-dev libutf8proc-dev libjansson-dev
#   test:   sqlite3 (the real CLI the SQL tests drive), python3 (the SQL test runner)
#   sanitizers/fuzzing: clang libclang-rt-14-dev
# Optional, only to regenerate fixtures from the references (not needed by
# the tests): python3-torch python3-numpy unicode-data nodejs npm.
set -eu
PKGS="gcc make pkg-config libc6-dev libsqlite3-dev sqlite3 libopenblas-dev libutf8proc-dev libjansson-dev python3 clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing$missing"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
