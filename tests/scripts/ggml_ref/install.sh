#!/bin/sh
# Install llama.cpp's prebuilt CPU libraries (node-llama-cpp 3.22.1 from the npm
# registry) and sqlite-lembed 0.0.1-alpha.8's lembed0.so into
# tests/scripts/ggml_ref/node_modules.  Only the scripts that regenerate GGUF
# fixtures and `make bench` section j use them; tests and CI do not.  --omit=optional skips
# the CUDA/Vulkan/other-platform builds (~600 MB); --ignore-scripts stops
# node-llama-cpp's postinstall from trying to download or build llama.cpp.
set -eu
cd "$(dirname "$0")"
npm install --no-audit --no-fund --omit=optional --ignore-scripts
lib=node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so
[ -f "$lib" ] || { echo "install.sh: $lib missing after npm install" >&2; exit 1; }
echo "ggml reference installed: $(pwd)/$lib"
