#!/usr/bin/python3
"""Reference fixtures for the PyTorch checkpoint reader (engine/torch_bin.c).

What it writes, into tests/fixtures/torch_bin/:
  xlmr/pytorch_model.bin          every tensor of build/test-models/xlmr/model.safetensors,
                                  same names and float32 bits, plain torch.save(OrderedDict)
  dense/2_Dense/pytorch_model.bin the Dense heads of build/test-models/dense, saved as older
  dense/3_Dense/pytorch_model.bin sentence-transformers did: torch.save(module.state_dict())
  formats.bin  + formats.json     one tensor per dtype, scalar, empty, 3-d, offset view,
                                  shared storage, nn.Parameter, special floats (zip format)
  legacy.bin   + legacy.json      the same dict, legacy (pre-1.6, non-zip) format
  proto4.bin   + proto4.json      the same dict, zip format, pickle protocol 4
  statedict.bin + statedict.json  state_dict() of a small real module (carries _metadata)
  noncontig.bin, evil.bin, nested.bin  files a safe reader must refuse; see refuse.json
  README.md                       provenance, purpose, sizes and sha256 of every file

Why: these files are written by real PyTorch (torch.save) and the expected values in
the .json files come from torch's own tensors (never from parsing the files), so they
are a reference for our C reader that is independent of it.

How to run (from anywhere; Debian's torch is only importable by /usr/bin/python3):
  cd /work/main && make build/tools/gen_model \
    && build/tools/gen_model --shape xlmr  --out build/test-models/xlmr \
    && build/tools/gen_model --shape dense --out build/test-models/dense
  /usr/bin/python3 tests/scripts/make_torch_bin.py

Output is deterministic (byte-identical on rerun with the same torch). torch's legacy
writer names storages by their C pointer (str(storage._cdata)), which changes from run
to run; while writing legacy.bin this script makes _cdata return stable fake pointer-like
numbers (descending in order of first use, so the sorted key order torch writes the
storages in is NOT the order they appear in the pickle, as happens in real files).
Everything else in every file is exactly what torch.save writes.

JSON expected values: {"tensors": {name: {"dtype", "shape", "values"}}}, dtype names as
in safetensors, values flattened row-major; floats are the exact value as a double
(repr, round-trips), +-inf as the strings "inf" / "-inf" (C JSON parsers such as
jansson refuse 1e999),
bool as 0/1. No NaN anywhere.
"""

import collections
import contextlib
import hashlib
import io
import json
import os
import pickle
import pickletools
import struct
import sys
import zipfile

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "build", "test-models")
OUT = os.path.join(ROOT, "tests", "fixtures", "torch_bin")

DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
    torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}
ST_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
             "F64": torch.float64, "I64": torch.int64, "I32": torch.int32,
             "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def fail(msg):
    sys.exit("make_torch_bin.py: " + msg)


# ---------------------------------------------------------------- safetensors

def read_safetensors(path):
    """Hand parser: u64le N, N bytes of JSON header, data section. -> OrderedDict."""
    if not os.path.exists(path):
        fail(f"{path} missing; build the test models first (see the top of this file)")
    with open(path, "rb") as f:
        buf = f.read()
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(buf[8:8 + n])
    data = buf[8 + n:]
    out = collections.OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        dtype = ST_DTYPES[info["dtype"]]
        raw = bytearray(data[b:e])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def bits(t):
    """Raw bytes of a tensor's elements (row-major), for bit-exact comparison."""
    t = t.detach().contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def same_tensor(a, b):
    return (a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
            and bits(a) == bits(b))


# ---------------------------------------------------------------- JSON

def num(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if v != v:
        fail("NaN in expected values")
    if v == float("inf"):
        return '"inf"'
    if v == float("-inf"):
        return '"-inf"'
    return repr(float(v))


def expected_json(tensors):
    """{"tensors": {...}} from torch's own tensors; one line per tensor."""
    lines = []
    for name, t in tensors.items():
        t = t.detach()
        flat = t.reshape(-1).tolist() if t.dim() else [t.item()]
        entry = ('{"dtype": %s, "shape": %s, "values": [%s]}'
                 % (json.dumps(DTYPE_NAMES[t.dtype]), json.dumps(list(t.shape)),
                    ", ".join(num(v) for v in flat)))
        lines.append("  %s: %s" % (json.dumps(name), entry))
    text = '{"tensors": {\n' + ",\n".join(lines) + "\n}}\n"
    # self-check: valid JSON that gives back the same values
    back = json.loads(text)["tensors"]
    for name, t in tensors.items():
        e = back[name]
        vals = [float(x) if isinstance(x, str) else x for x in e["values"]]
        ref = torch.tensor(vals, dtype=torch.float64 if t.is_floating_point()
                           else torch.int64).to(t.dtype).reshape(e["shape"])
        if e["dtype"] != DTYPE_NAMES[t.dtype] or not same_tensor(ref, t.detach()):
            fail(f"JSON round trip differs for {name}")
    return text


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


# ---------------------------------------------------------------- checks

def check_loaded(path, want, where, ordered=True):
    got = torch.load(path)
    if (list if ordered else sorted)(got.keys()) != (list if ordered else sorted)(want.keys()):
        fail(f"{where}: names/order differ after torch.load")
    for name, t in want.items():
        g = got[name]
        if not same_tensor(g, t.detach()):
            fail(f"{where}: {name} differs after torch.load")
        if isinstance(t, nn.Parameter) != isinstance(g, nn.Parameter):
            fail(f"{where}: {name} Parameter-ness differs")
        if tuple(g.stride()) != tuple(t.stride()) or g.storage_offset() != t.storage_offset():
            fail(f"{where}: {name} stride/offset differ")
    return got


class Recorder(pickle.Unpickler):
    """Unpickles torch's data.pkl without torch: globals become names, persistent ids
    stay tuples, _rebuild_tensor_v2 calls become tuples of their arguments. Only used
    on files we wrote ourselves, never on evil.bin (which is only scanned by genops)."""

    def find_class(self, module, name):
        full = f"{module}.{name}"
        if full == "torch._utils._rebuild_tensor_v2":
            return lambda *a: ("tensor", *a)
        if full == "torch._utils._rebuild_parameter":
            return lambda *a: ("parameter", *a)
        if full == "collections.OrderedDict":
            return collections.OrderedDict
        if module == "torch" and name.endswith("Storage"):
            return name
        fail(f"unexpected global {full}")

    def persistent_load(self, pid):
        return tuple(pid)


def zip_pickle(path):
    with zipfile.ZipFile(path) as z:
        name = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        return z.read(name)


def globals_in(pkl):
    """GLOBAL / STACK_GLOBAL targets in a pickle, without executing it. STACK_GLOBAL
    takes the two values pushed just before it (strings, possibly fetched from memo)."""
    found, recent, memo = [], [None, None], {}
    for op, arg, _ in pickletools.genops(pkl):
        if op.name == "GLOBAL":
            found.append(arg.replace(" ", "."))
            recent.append(None)
        elif op.name == "STACK_GLOBAL":
            found.append(f"{recent[-2]}.{recent[-1]}")
            recent.append(None)
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            recent.append(arg)
        elif op.name in ("BINGET", "LONG_BINGET", "GET"):
            recent.append(memo.get(arg))
        elif op.name == "MEMOIZE":
            memo[len(memo)] = recent[-1]
        elif op.name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[arg] = recent[-1]
        elif op.stack_after:
            recent.append(None)
    return found


# ---------------------------------------------------------------- legacy keys

@contextlib.contextmanager
def stable_storage_keys():
    """torch's legacy writer uses str(storage._cdata) (a C pointer) as storage key.
    Make _cdata a stable fake pointer while saving, so reruns are byte-identical."""
    if "_cdata" in torch.UntypedStorage.__dict__:
        fail("torch.UntypedStorage already defines _cdata; cannot pin legacy keys")
    real = torch._C.StorageBase.__dict__["_cdata"]
    fake = {}

    def get(self):
        c = real.__get__(self)
        if c not in fake:
            fake[c] = 0x7F3A_C000_0000 - 0x1040 * len(fake)
        return fake[c]

    torch.UntypedStorage._cdata = property(get)
    try:
        yield
    finally:
        del torch.UntypedStorage._cdata


def legacy_opcodes(data):
    """Opcode names of every pickle in a legacy file (stops at the raw storages)."""
    f, out = io.BytesIO(data), []
    for _ in range(5):  # magic, protocol, sys_info, main, storage keys
        out.append([op.name for op, _, _ in pickletools.genops(f)])
    return out


# ---------------------------------------------------------------- fixtures

def formats_dict():
    d = collections.OrderedDict()
    d["f32"] = torch.tensor([[1.5, -2.25, 3.0], [0.1, -1e-3, 1e30]], dtype=torch.float32)
    d["f16"] = torch.tensor([1.0, -2.5, 65504.0, 2.0 ** -24, -0.0, 0.333], dtype=torch.float16)
    d["bf16"] = torch.tensor([1.0, -2.5, 3.0e38, 2.0 ** -133, -0.0, 0.333], dtype=torch.bfloat16)
    d["f64"] = torch.tensor([0.1, -1.0 / 3.0, 1e300, 5e-324], dtype=torch.float64)
    d["i64"] = torch.tensor([0, -7, 1234567890123, 2 ** 63 - 1, -2 ** 63], dtype=torch.int64)
    d["i32"] = torch.tensor([[1, -2], [2 ** 31 - 1, -2 ** 31]], dtype=torch.int32)
    d["i16"] = torch.tensor([300, -300, 32767, -32768], dtype=torch.int16)
    d["i8"] = torch.tensor([1, -1, 127, -128], dtype=torch.int8)
    d["u8"] = torch.tensor([0, 1, 128, 255], dtype=torch.uint8)
    d["bool"] = torch.tensor([True, False, True], dtype=torch.bool)
    d["scalar"] = torch.tensor(3.25, dtype=torch.float32)            # shape []
    d["empty"] = torch.zeros(0, 3, dtype=torch.float32)               # shape [0, 3]
    d["cube"] = (torch.arange(24, dtype=torch.float32) - 12.0).reshape(2, 3, 4)
    big = torch.arange(20.0).reshape(4, 5)
    d["big"] = big
    d["row2"] = big[2]                      # storage offset 10 into big's storage
    same = torch.tensor([7.0, -8.0, 9.5])
    d["same_a"] = same                      # the very same tensor object twice
    d["same_b"] = same
    d["param"] = nn.Parameter(torch.tensor([[0.5, -0.5], [0.25, -0.25]]))
    d["special"] = torch.tensor([float("inf"), float("-inf"), 2.0 ** -149, -0.0,
                                 2.0 ** -127, 3.4028234663852886e38, -1.1754943508222875e-38],
                                dtype=torch.float32)
    assert big[2].storage_offset() == 10
    return d


class Dense(nn.Module):
    """Shape of sentence_transformers.models.Dense: a Linear plus an activation."""

    def __init__(self, in_features, out_features, bias, dtype, activation):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.linear = nn.Linear(in_features, out_features, bias=bias, dtype=dtype)
        self.activation_function = activation


def small_module():
    m = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    m.register_buffer("steps", torch.tensor([3, 1, 4, 1, 5], dtype=torch.int64))
    with torch.no_grad():
        m[0].weight.copy_((torch.arange(12.0) - 5.5).reshape(4, 3) / 8)
        m[0].bias.copy_(torch.tensor([0.5, -0.25, 0.125, -1.0]))
        m[1].weight.copy_(torch.tensor([1.0, 2.0, 0.5, -1.5]))
        m[1].bias.copy_(torch.tensor([0.0, -0.0, 0.75, 3.0]))
    return m


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


# ---------------------------------------------------------------- main

def main():
    torch.manual_seed(0)
    written = []

    # 1. xlmr: the whole test model, default zip format
    st = read_safetensors(os.path.join(MODELS, "xlmr", "model.safetensors"))
    path = os.path.join(OUT, "xlmr", "pytorch_model.bin")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(st, path)
    got = check_loaded(path, st, "xlmr")
    for name, t in got.items():
        if t.dtype != torch.float32:
            fail(f"xlmr {name} is {t.dtype}")
    written.append(("xlmr/pytorch_model.bin",
                    f"all {len(st)} tensors of build/test-models/xlmr/model.safetensors "
                    "(F32), same names; plain torch.save(OrderedDict), zip format"))

    # 2. dense heads: torch.save(module.state_dict())
    for sub, act in (("2_Dense", nn.Tanh()), ("3_Dense", nn.Identity())):
        st = read_safetensors(os.path.join(MODELS, "dense", sub, "model.safetensors"))
        w = st["linear.weight"]
        m = Dense(w.shape[1], w.shape[0], "linear.bias" in st, w.dtype, act)
        m.load_state_dict(st, strict=True)
        sd = m.state_dict()
        if not hasattr(sd, "_metadata"):
            fail("state_dict has no _metadata")
        path = os.path.join(OUT, "dense", sub, "pytorch_model.bin")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.save(sd, path)
        check_loaded(path, st, sub, ordered=False)  # state_dict order: weight, bias
        dt = DTYPE_NAMES[w.dtype]
        written.append((f"dense/{sub}/pytorch_model.bin",
                        f"{', '.join(st)} ({dt}) of build/test-models/dense/{sub}; "
                        "torch.save(Dense-module.state_dict()), has _metadata"))

    # 3. format fixtures
    d = formats_dict()
    text = expected_json(d)
    for name, kw, what in (
            ("formats", {}, "zip format (default), pickle protocol 2"),
            ("legacy", {"_use_new_zipfile_serialization": False},
             "legacy pre-1.6 format (_use_new_zipfile_serialization=False), protocol 2"),
            ("proto4", {"pickle_protocol": 4}, "zip format, pickle_protocol=4")):
        path = os.path.join(OUT, name + ".bin")
        if name == "legacy":
            with stable_storage_keys():
                torch.save(d, path, **kw)
            # same pickles as torch writes without the pinned keys, bar key values
            buf = io.BytesIO()
            torch.save(d, buf, **kw)
            with open(path, "rb") as f:
                if legacy_opcodes(f.read()) != legacy_opcodes(buf.getvalue()):
                    fail("pinned legacy keys changed the pickle structure")
        else:
            torch.save(d, path, **kw)
        got = check_loaded(path, d, name)
        if got["same_a"] is not got["same_b"]:
            fail(f"{name}: same_a/same_b not one tensor after load")
        if got["row2"].data_ptr() != got["big"].data_ptr() + 10 * 4:
            fail(f"{name}: row2 does not share big's storage")
        write(os.path.join(OUT, name + ".json"), text)
        written.append((name + ".bin", "mixed-dtype dict; " + what))
        written.append((name + ".json", f"expected tensors of {name}.bin"))
    for name in ("formats", "proto4"):
        if "torch._utils._rebuild_parameter" not in globals_in(zip_pickle(os.path.join(OUT, name + ".bin"))):
            fail(f"{name}.bin has no _rebuild_parameter")

    m = small_module()
    sd = m.state_dict()
    path = os.path.join(OUT, "statedict.bin")
    torch.save(sd, path)
    got = check_loaded(path, sd, "statedict")
    if not hasattr(got, "_metadata"):
        fail("statedict.bin lost _metadata")
    write(os.path.join(OUT, "statedict.json"), expected_json(sd))
    written.append(("statedict.bin", "state_dict() of Sequential(Linear(3,4), LayerNorm(4)) "
                    "+ int64 buffer 'steps'; OrderedDict with _metadata"))
    written.append(("statedict.json", "expected tensors of statedict.bin"))

    # refuse fixtures
    refuse = collections.OrderedDict()

    path = os.path.join(OUT, "noncontig.bin")
    t = torch.arange(6.0).reshape(2, 3).t()
    torch.save({"t": t}, path)
    if torch.load(path)["t"].stride() != (1, 3):
        fail("noncontig: torch.load stride is not (1, 3)")
    rec = Recorder(io.BytesIO(zip_pickle(path))).load()["t"]
    # ("tensor", storage_pid, offset, size, stride, requires_grad, backward_hooks)
    if rec[0] != "tensor" or tuple(rec[3]) != (3, 2) or tuple(rec[4]) != (1, 3):
        fail(f"noncontig: pickle has size/stride {rec[3]}/{rec[4]}, want (3,2)/(1,3)")
    refuse["noncontig.bin"] = ("tensor 't' has size (3, 2) and stride (1, 3) (a transposed "
                               "view, not row-major contiguous); reading its storage as "
                               "row-major would give wrong values")
    written.append(("noncontig.bin", "refuse: non-contiguous (transposed) tensor"))

    path = os.path.join(OUT, "evil.bin")
    torch.save(collections.OrderedDict([("w", torch.tensor([1.0, 2.0])), ("x", Evil())]), path)
    g = globals_in(zip_pickle(path))
    if "posix.system" not in g and "os.system" not in g:
        fail(f"evil.bin has no os/posix system global: {g}")
    refuse["evil.bin"] = ("pickle has GLOBAL 'posix system' called via REDUCE with "
                          "('echo pwned',): arbitrary code execution in an unrestricted "
                          "unpickler; only whitelisted globals may be accepted. Never "
                          "torch.load it.")
    written.append(("evil.bin", "refuse: GLOBAL posix.system (never load with torch.load)"))

    path = os.path.join(OUT, "nested.bin")
    torch.save({"state_dict": {"a": torch.tensor([1.0, -1.0])}}, path)
    check = torch.load(path)
    if not same_tensor(check["state_dict"]["a"], torch.tensor([1.0, -1.0])):
        fail("nested.bin round trip")
    refuse["nested.bin"] = ("top-level value is a dict of dicts ({'state_dict': {'a': "
                            "F32[2] = [1.0, -1.0]}}), not a flat name->tensor mapping; "
                            "refuse unless the reader deliberately unwraps it")
    written.append(("nested.bin", "refuse (for the record): dict of dicts"))

    write(os.path.join(OUT, "refuse.json"), json.dumps(refuse, indent=2) + "\n")
    written.append(("refuse.json", "what a safe reader must refuse, and why"))

    # 5. fuzz seeds: the fuzzers' tiny model (tests/fuzz/fuzz_model.h, whose
    # weights are the committed seed tiny_f32.safetensors) as torch.save files,
    # so that fuzz_torch_bin reaches the model load from its first inputs.
    seeds = os.path.join(ROOT, "tests", "fuzz", "corpus", "fuzz_torch_bin")
    tiny = read_safetensors(os.path.join(ROOT, "tests", "fuzz", "corpus", "fuzz_safetensors",
                                         "tiny_f32.safetensors"))
    for name, legacy in (("tiny_zip.bin", False), ("tiny_legacy.bin", True)):
        path = os.path.join(seeds, name)
        os.makedirs(seeds, exist_ok=True)
        if legacy:
            with stable_storage_keys():
                torch.save(tiny, path, _use_new_zipfile_serialization=False)
        else:
            torch.save(tiny, path)
        check_loaded(path, tiny, name)

    write_readme(written)


def write_readme(written):
    rows = []
    for rel, what in written:
        with open(os.path.join(OUT, rel), "rb") as f:
            data = f.read()
        rows.append(f"| `{rel}` | {len(data)} | `{hashlib.sha256(data).hexdigest()[:16]}` | {what} |")
    text = f"""# PyTorch checkpoint fixtures

Reference files for the `pytorch_model.bin` reader (engine/torch_bin.c), written by
real PyTorch (`torch.save`, torch {torch.__version__}, Python {sys.version.split()[0]}),
never by our C code. Expected values (`NAME.json`) come from torch's own tensors,
not from parsing the files. Regenerate (deterministic, byte-identical on rerun):

    /usr/bin/python3 tests/scripts/make_torch_bin.py

after building `build/test-models/xlmr` and `build/test-models/dense` with
`build/tools/gen_model` (see the script's header). This README is written by the script.

The `formats`/`legacy`/`proto4` dict holds: one tensor of each dtype F32 F16 BF16 F64
I64 I32 I16 I8 U8 BOOL (negatives, extremes, subnormals, -0.0), a 0-dim `scalar`,
an `empty` [0, 3] tensor, a 3-d `cube`, `big` [4, 5] and `row2` = big[2] (storage
offset 10, shared storage), `same_a`/`same_b` (one tensor object under two names),
`param` (an nn.Parameter: `torch._utils._rebuild_parameter`), `special` (inf, -inf,
subnormals, -0.0, FLT_MAX). JSON: values flattened row-major, floats as the exact
double, inf as the strings `"inf"`/`"-inf"`, bool as 0/1; no NaN.

legacy.bin: torch's legacy writer keys storages by C pointer; the script pins those to
stable fake pointer values (descending) so the file is reproducible. Nothing else differs
from plain torch output.

| file | bytes | sha256 (first 16) | purpose |
|---|---|---|---|
""" + "\n".join(rows) + "\n"
    write(os.path.join(OUT, "README.md"), text)


if __name__ == "__main__":
    main()
