#!/bin/sh
# torch_bin_model.sh MODEL FIXTURE OUT — a copy of the generated test model
# MODEL with some of its weights as torch.save files instead of safetensors:
# each FIXTURE/<sub>/pytorch_model.bin (tests/fixtures/torch_bin/<shape>/...,
# written by PyTorch from MODEL's own tensors by
# tests/scripts/make_torch_bin.py) replaces <sub>/model.safetensors.  Used by
# test_torch_bin and tests/sql/torch_bin.test.
set -eu
model=$1 fixture=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
cp -R "$model"/. "$out"/
(cd "$fixture" && find . -name pytorch_model.bin) | while read -r bin; do
  sub=$(dirname "$bin")
  rm -f "$out/$sub/model.safetensors"
  cp "$fixture/$bin" "$out/$sub/pytorch_model.bin"
done
