"""llama.cpp's own quantizers and dequantizers, called through ctypes, as the
independent reference for GGUF quantized-tensor fixtures.

The library is libggml-base.so from node-llama-cpp's prebuilt CPU build
(tests/scripts/ggml_ref/install.sh puts it in tests/scripts/ggml_ref/node_modules);
env GGML_LIB overrides the path.  Nothing here quantizes or dequantizes by itself:
every block and every float comes out of ggml.

    import ggml_lib
    g = ggml_lib.Ggml()
    blocks = g.quantize("q4_K", floats, nrows, n_per_row)   # bytes
    values = g.dequantize("q4_K", blocks, nrows * n_per_row) # list of float
"""
import array
import ctypes
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIB = os.path.join(HERE, "ggml_ref", "node_modules", "@node-llama-cpp", "linux-x64",
                           "bins", "linux-x64", "libggml-base.so")


class Ggml:
    def __init__(self, path=None):
        path = path or os.environ.get("GGML_LIB") or DEFAULT_LIB
        if not os.path.exists(path):
            raise SystemExit(f"ggml_lib: {path} not found; run tests/scripts/ggml_ref/install.sh "
                             "or set GGML_LIB")
        self.lib = ctypes.CDLL(path)
        self.lib.ggml_type_name.restype = ctypes.c_char_p
        self.lib.ggml_type_name.argtypes = [ctypes.c_int]
        self.lib.ggml_blck_size.restype = ctypes.c_int64
        self.lib.ggml_blck_size.argtypes = [ctypes.c_int]
        self.lib.ggml_type_size.restype = ctypes.c_size_t
        self.lib.ggml_type_size.argtypes = [ctypes.c_int]
        self.lib.ggml_quantize_chunk.restype = ctypes.c_size_t
        self.lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                                 ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                                 ctypes.c_void_p]
        self.lib.ggml_quantize_init.argtypes = [ctypes.c_int]
        # type ids by ggml's own names (not a table of ours)
        self.ids = {}
        for i in range(64):
            try:
                name = self.lib.ggml_type_name(i)
            except Exception:  # noqa: BLE001 - ids past the enum may return garbage
                continue
            if name:
                try:
                    self.ids.setdefault(name.decode("ascii"), i)
                except UnicodeDecodeError:
                    break

    def type_id(self, name):
        if name not in self.ids:
            raise SystemExit(f"ggml_lib: ggml has no type {name!r}")
        return self.ids[name]

    def block(self, name):
        """(values per block, bytes per block)"""
        t = self.type_id(name)
        return int(self.lib.ggml_blck_size(t)), int(self.lib.ggml_type_size(t))

    def quantize(self, name, floats, nrows, n_per_row):
        t = self.type_id(name)
        src = array.array("f", floats)
        assert len(src) == nrows * n_per_row
        blk, size = self.block(name)
        assert n_per_row % blk == 0, f"{name}: rows of {n_per_row} are not whole blocks of {blk}"
        out = ctypes.create_string_buffer(nrows * n_per_row // blk * size)
        self.lib.ggml_quantize_init(t)
        addr, _ = src.buffer_info()
        n = self.lib.ggml_quantize_chunk(t, addr, out, 0, nrows, n_per_row, None)
        assert n == len(out.raw), (n, len(out.raw))
        return out.raw

    def dequantize(self, name, blocks, count):
        fn = getattr(self.lib, "dequantize_row_" + name)
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        dst = array.array("f", bytes(4 * count))
        src = ctypes.create_string_buffer(bytes(blocks), len(blocks))
        fn(src, dst.buffer_info()[0], count)
        return dst
