#!/bin/sh
# hub_cache_entry.sh CACHE REPO_ID SOURCE_DIR [COMMIT [REF]]
#
# Lays out SOURCE_DIR's files in CACHE the way huggingface_hub downloads a
# model (what sentence-transformers and transformers leave on a machine):
#   CACHE/models--<org>--<name>/blobs/<sha256>             the bytes
#   CACHE/models--<org>--<name>/snapshots/<COMMIT>/<file>  -> ../../blobs/<sha256>
#   CACHE/models--<org>--<name>/refs/<REF>                 COMMIT, no newline
# Files in subdirectories (1_Pooling/config.json) link with one more "../".
# REPO_ID "name" without an organisation becomes models--name.  COMMIT
# defaults to 40 hex digits, REF to main.  Used by tests/sql/hub_cache.test.
set -eu
cache=$1 repo=$2 src=$3
commit=${4:-0123456789abcdef0123456789abcdef01234567}
ref=${5:-main}
entry="$cache/models--$(printf '%s' "$repo" | sed 's#/#--#')"
mkdir -p "$entry/blobs" "$entry/refs" "$entry/snapshots/$commit"
(cd "$src" && find . -type f) | while read -r f; do
  f=${f#./}
  sha=$(sha256sum "$src/$f" | cut -d' ' -f1)
  [ -f "$entry/blobs/$sha" ] || cp "$src/$f" "$entry/blobs/$sha"
  dir=$(dirname "$f")
  up="../.."
  [ "$dir" = . ] || { mkdir -p "$entry/snapshots/$commit/$dir"; up="../../$(printf '%s' "$dir" | sed 's#[^/][^/]*#..#g')"; }
  ln -sfn "$up/blobs/$sha" "$entry/snapshots/$commit/$f"
done
printf '%s' "$commit" > "$entry/refs/$ref"
