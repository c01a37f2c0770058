#!/usr/bin/env python3
"""Run llama.cpp's own quantizer (llama_model_quantize in libllama, i.e. what the
`llama-quantize` tool calls) on a GGUF file, through ctypes.

    python3 tests/scripts/ggml_ref/llama_quantize.py IN-F32.gguf OUT.gguf FTYPE [--threads N]

FTYPE is a llama-quantize name (q4_k_m, Q5_0, ...; case-insensitive) or a LlamaFileType
number. Options are llama_model_quantize_default_params() (= llama-quantize without flags)
except nthread (default 1). The libraries are node-llama-cpp's prebuilt CPU build that
install.sh puts in node_modules (llama.cpp v0.5.0); env LLAMA_LIB_DIR overrides the directory.

This is the cross-check for tests/scripts/make_gguf.py --type <ftype>: both should write the
same bytes (make_fixtures.sh compares them). Standard library only.
"""
import argparse
import ctypes
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIB_DIR = os.path.join(HERE, "node_modules", "@node-llama-cpp", "linux-x64", "bins", "linux-x64")

# tools/quantize/quantize.cpp QUANT_OPTIONS (the subset that needs no imatrix), name -> llama_ftype
FTYPES = {"Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "Q2_K": 10, "Q3_K_S": 11,
          "Q3_K_M": 12, "Q3_K_L": 13, "Q4_K_S": 14, "Q4_K_M": 15, "Q5_K_S": 16, "Q5_K_M": 17,
          "Q6_K": 18, "IQ4_NL": 25, "IQ4_XS": 30, "F16": 1, "BF16": 32, "F32": 0}


class QuantizeParams(ctypes.Structure):
    # include/llama.h struct llama_model_quantize_params (llama.cpp v0.5.0)
    _fields_ = [("nthread", ctypes.c_int32), ("ftype", ctypes.c_int),
                ("output_tensor_type", ctypes.c_int), ("token_embedding_type", ctypes.c_int),
                ("allow_requantize", ctypes.c_bool), ("quantize_output_tensor", ctypes.c_bool),
                ("only_copy", ctypes.c_bool), ("pure", ctypes.c_bool),
                ("keep_split", ctypes.c_bool), ("dry_run", ctypes.c_bool),
                ("imatrix", ctypes.c_void_p), ("kv_overrides", ctypes.c_void_p),
                ("tt_overrides", ctypes.c_void_p), ("prune_layers", ctypes.c_void_p),
                ("max_buf_size", ctypes.c_size_t)]


def one(pattern):
    hits = sorted(glob.glob(pattern))
    if not hits:
        raise SystemExit("llama_quantize.py: %s not found; run tests/scripts/ggml_ref/install.sh "
                         "or set LLAMA_LIB_DIR" % pattern)
    return hits[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("ftype")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    name = args.ftype.upper()
    ftype = FTYPES.get(name) if not name.isdigit() else int(name)
    if ftype is None:
        raise SystemExit("llama_quantize.py: unknown ftype %r (known: %s)"
                         % (args.ftype, ", ".join(FTYPES)))
    d = os.environ.get("LLAMA_LIB_DIR") or LIB_DIR
    ctypes.CDLL(os.path.join(d, "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
    ctypes.CDLL(one(os.path.join(d, "libggml.*so*")), mode=ctypes.RTLD_GLOBAL)
    lib = ctypes.CDLL(one(os.path.join(d, "libllama.*so*")))
    lib.llama_model_quantize_default_params.restype = QuantizeParams
    lib.llama_model_quantize.restype = ctypes.c_uint32
    lib.llama_model_quantize.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                                         ctypes.POINTER(QuantizeParams)]
    lib.llama_backend_init()
    p = lib.llama_model_quantize_default_params()
    p.nthread = args.threads
    p.ftype = ftype
    rc = lib.llama_model_quantize(args.inp.encode(), args.out.encode(), ctypes.byref(p))
    sys.stdout.flush()
    if rc != 0:
        raise SystemExit("llama_quantize.py: llama_model_quantize failed (%d)" % rc)


if __name__ == "__main__":
    main()
