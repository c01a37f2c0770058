#!/usr/bin/env bash
# Interoperability with sqlite-vec's vec0.so (tests/sql_vec/test_sqlite_vec.py,
# under Debian's /usr/bin/python3, whose sqlite3 can load extensions).
# vec0.so is looked for at $SQLITE_VEC_PATH (the file, or a directory holding
# it), then in the npm package sqlite-vec-linux-x64 under
# ~/.cache/embed-peers/node and ~/.cache/embed-tests/node
# (tests/install-sqlite-vec.sh installs it there).  Not found: prints
# nothing, notes it on stderr and exits 0 (a skip is neither pass nor fail).
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
export TEST_MODELS=${TEST_MODELS:-$BUILD/test-models}
vec=
for c in "${SQLITE_VEC_PATH:-}" "${SQLITE_VEC_PATH:+$SQLITE_VEC_PATH/vec0.so}" \
         "$HOME/.cache/embed-peers/node/node_modules/sqlite-vec-linux-x64/vec0.so" \
         "$HOME/.cache/embed-tests/node/node_modules/sqlite-vec-linux-x64/vec0.so"; do
  [ -n "$c" ] && [ -f "$c" ] && { vec=$c; break; }
done
if [ -z "$vec" ]; then
  echo "sqlite_vec: skipped: vec0.so not found (set SQLITE_VEC_PATH or run tests/install-sqlite-vec.sh)" >&2
  exit 0
fi
PY=${EMBED_TEST_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import sqlite3; sqlite3.connect(":memory:").enable_load_extension(True)' 2>/dev/null; then
  echo "FAIL: sqlite_vec: $PY has no sqlite3 with enable_load_extension (apt-get install python3)"
  exit 1
fi
if [ ! -f "$BUILD/embed0.so" ] || [ ! -f "$TEST_MODELS/minilm/config.json" ]; then
  echo "FAIL: sqlite_vec: needs $BUILD/embed0.so and $TEST_MODELS/minilm"
  exit 1
fi
echo "sqlite_vec: using ${vec%.so}.so" >&2
SQLITE_VEC=${vec%.so} exec "$PY" tests/sql_vec/test_sqlite_vec.py
