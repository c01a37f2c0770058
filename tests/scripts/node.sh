#!/usr/bin/env bash
# sqlite-embed from Node through better-sqlite3 (tests/node/test_node.js).
# When better-sqlite3 is not installed (tests/node/install.sh puts it in
# ~/.cache/embed-tests/node) this prints nothing, notes it on stderr and
# exits 0: a skip is neither a pass nor a failure.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
export TEST_MODELS=${TEST_MODELS:-$BUILD/test-models}
if ! command -v node > /dev/null; then
  echo "node: skipped: node is not installed" >&2
  exit 0
fi
found=
for d in "${EMBED_NODE_MODULES:-}" "$HOME/.cache/embed-tests/node/node_modules" ${NODE_PATH:+${NODE_PATH//:/ }}; do
  [ -n "$d" ] && [ -f "$d/better-sqlite3/package.json" ] && { found=$d; break; }
done
if [ -z "$found" ]; then
  echo "node: skipped: better-sqlite3 not installed (run tests/node/install.sh)" >&2
  exit 0
fi
if [ ! -f "$BUILD/embed0.so" ] || [ ! -f "$TEST_MODELS/minilm/config.json" ]; then
  echo "FAIL: node: needs $BUILD/embed0.so and $TEST_MODELS/minilm"
  exit 1
fi
EMBED_NODE_MODULES=$found exec node tests/node/test_node.js
