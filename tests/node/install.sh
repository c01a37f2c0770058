#!/usr/bin/env bash
# Installs better-sqlite3 for tests/scripts/node.sh into ~/.cache/embed-tests/node
# (never into the repository).  The npm tarball holds no prebuilt binary:
# prebuild-install tries GitHub (unreachable here, it fails at once) and the
# install falls back to `node-gyp rebuild`, which compiles the bundled SQLite
# amalgamation against the node headers of the installed nodejs package
# (/usr/include/node; nodedir=/usr, so node-gyp downloads nothing).  Takes
# about 1-3 minutes on 2 cores.  Needs node >= 20, npm, make, g++, python3.
set -eu
VERSION=${BETTER_SQLITE3_VERSION:-12.9.0} # 12.x supports node 20..25; 13.x needs node >= 22
PREFIX=${EMBED_NODE_PREFIX:-$HOME/.cache/embed-tests/node}
NODEDIR=${npm_config_nodedir:-/usr}
if [ ! -f "$NODEDIR/include/node/node.h" ]; then
  echo "install.sh: no node headers at $NODEDIR/include/node (install the nodejs package that ships them, or set npm_config_nodedir)" >&2
  exit 1
fi
for tool in node npm make g++; do
  command -v "$tool" > /dev/null || { echo "install.sh: $tool is missing (apt-get install nodejs npm make g++)" >&2; exit 1; }
done
mkdir -p "$PREFIX"
cd "$PREFIX"
npm_config_nodedir=$NODEDIR npm install --prefix "$PREFIX" "better-sqlite3@$VERSION"
node -e "const D = require('$PREFIX/node_modules/better-sqlite3'); const db = new D(':memory:');
  console.log('better-sqlite3 $VERSION installed in $PREFIX (SQLite ' + db.prepare('SELECT sqlite_version() AS v').get().v + ')');"
