"""What make_unigram_fixtures.py and make_bpe_fixtures.py share: reading the
data files, the compact JSON they write, and the long texts with their hashes
(test_tokenizer_parity.c builds the same texts from cases.jsonl and hashes the
C tokenizer's output the same way)."""
import json


def read_lines(path):
    with open(path, encoding='utf-8', newline='') as f:
        return f.read().split('\n')


def dump(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(',', ':'))


def long_text(texts, keep, size):
    """The case texts that `keep`, in file order, each followed by one space, cycled until the
    text reaches `size` bytes."""
    chosen = [t for t in texts if keep(t)]
    out, n, i = [], 0, 0
    while n < size:
        piece = chosen[i % len(chosen)] + ' '
        out.append(piece)
        n += len(piece.encode('utf-8'))
        i += 1
    return ''.join(out)


def fnv1a64_u32(values):
    """FNV-1a 64 over the values as little-endian uint32 bytes."""
    h = 0xcbf29ce484222325
    for v in values:
        for b in (v & 0xffffffff).to_bytes(4, 'little'):
            h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return '%016x' % h
