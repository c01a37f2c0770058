#!/usr/bin/env bash
# sqlite-embed from Python: tests/python/test_python.py under Debian's
# /usr/bin/python3 (its sqlite3 module has enable_load_extension; a pyenv or
# python.org build usually lacks it).  Prints PASS/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
export TEST_MODELS=${TEST_MODELS:-$BUILD/test-models}
PY=${EMBED_TEST_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import sqlite3; sqlite3.connect(":memory:").enable_load_extension(True)' 2>/dev/null; then
  echo "FAIL: python: $PY has no sqlite3 with enable_load_extension (apt-get install python3)"
  exit 1
fi
if [ ! -f "$BUILD/embed0.so" ] || [ ! -f "$TEST_MODELS/minilm/config.json" ]; then
  echo "FAIL: python: needs $BUILD/embed0.so and $TEST_MODELS/minilm (make && make tools, then tests/run.sh generates the models)"
  exit 1
fi
exec "$PY" tests/python/test_python.py
