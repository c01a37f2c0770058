#!/usr/bin/env bash
# Runs sql/demo.sql in the sqlite3 CLI.  With SQLITE_EMBED_MODEL pointing at a
# real model directory (e.g. a download of sentence-transformers/all-MiniLM-L6-v2)
# the similarities mean something.  Without it, the demo generates the test
# model (seeded random weights, real bert-base-uncased vocabulary): everything
# runs for real, but its vectors carry no meaning.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ -z "${SQLITE_EMBED_MODEL:-}" ]; then
  model=$BUILD/test-models/minilm
  if [ ! -f "$model/config.json" ]; then
    make -s "$BUILD/tools/gen_model"
    "$BUILD/tools/gen_model" --shape minilm --out "$model" >/dev/null
  fi
  echo "demo: no SQLITE_EMBED_MODEL set; using the generated test model $model."
  echo "demo: its weights are random, so the vectors below carry NO meaning."
  export SQLITE_EMBED_MODEL=$model
fi
sqlite3 -batch -bail :memory: < sql/demo.sql
