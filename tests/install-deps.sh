#!/usr/bin/env bash
# Installs what building and testing sqlite-embed needs on a fresh Debian 12
# machine (run as root, or with sudo available).  `make deps` runs this.
#
#   build:  gcc make pkg-config libsqlite3-dev libopenblas-dev libutf8proc-dev libjansson-dev
#   test:   sqlite3 (the real CLI the SQL tests drive), python3 (the SQL test runner)
#   sanitizers/fuzzing: clang libclang-rt-14-dev
# Optional, only to regenerate fixtures from the references (not needed by
# the tests): python3-torch python3-numpy unicode-data nodejs npm, and for
# the Unigram and BPE tokenizer fixtures python3-sentencepiece python3-regex.
set -eu
PKGS="gcc make pkg-config libc6-dev libsqlite3-dev sqlite3 libopenblas-dev libutf8proc-dev libjansson-dev python3 clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all Debian packages present"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "install-deps: installing$missing"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# Peers for the interoperability tests, from the npm registry into
# ~/.cache/embed-tests/node (never the repository): sqlite-vec's vec0.so and
# better-sqlite3 (built from source against the node headers).  Without
# node/npm these tests are skipped with a note; everything else still runs.
cd "$(dirname "$0")/.."
if command -v npm > /dev/null && command -v node > /dev/null; then
  prefix=${EMBED_NODE_PREFIX:-$HOME/.cache/embed-tests/node}
  [ -f "$prefix/node_modules/sqlite-vec-linux-x64/vec0.so" ] || bash tests/install-sqlite-vec.sh ||
    echo "install-deps: sqlite-vec not installed; its interop test will be skipped" >&2
  [ -f "$prefix/node_modules/better-sqlite3/package.json" ] || bash tests/node/install.sh ||
    echo "install-deps: better-sqlite3 not installed; the Node test will be skipped" >&2
else
  echo "install-deps: node/npm not found; the Node and sqlite-vec tests will be skipped" >&2
fi
