#!/usr/bin/env bash
# Installs sqlite-vec's prebuilt vec0.so (npm package sqlite-vec-linux-x64,
# which ships the binary inside its tarball) into ~/.cache/embed-tests/node,
# where tests/scripts/sqlite_vec.sh finds it.  Never into the repository.
set -eu
VERSION=${SQLITE_VEC_VERSION:-0.1.9}
PREFIX=${EMBED_NODE_PREFIX:-$HOME/.cache/embed-tests/node}
mkdir -p "$PREFIX"
cd "$PREFIX"
npm install --prefix "$PREFIX" --save-exact "sqlite-vec-linux-x64@$VERSION"
so=$PREFIX/node_modules/sqlite-vec-linux-x64/vec0.so
[ -f "$so" ] || { echo "install-sqlite-vec.sh: $so is missing after npm install" >&2; exit 1; }
echo "sqlite-vec $VERSION: $so"
