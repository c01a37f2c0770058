#!/usr/bin/python3
"""Byte-level BPE (RoBERTa / GPT-2 style) tokenizer.json fixtures and their expected tokens.

    /usr/bin/python3 tests/tokenizer/make_bpe_fixtures.py [--data /work/shared/data] [--out DIR]

Needs:
  * the `regex` module for /usr/bin/python3: `apt-get install -y python3-regex` (Debian's
    2022.10.31); nothing else outside the standard library.
  * node and the reference binding in $PEERS_NODE (default ~/.cache/embed-peers/node):
    `npm install --prefix ~/.cache/embed-peers/node @anush008/tokenizers@0.6.0`.
    tests/tokenizer/unigram_reference.js (single texts) and tests/models/tokenize_texts.js
    (pairs) run it.
  * /work/shared/data (or --data / $EMBED_SHARED_DATA): ag_news/test.csv, wikitext-2/valid.txt,
    stsbenchmark/, nfcorpus/corpus.jsonl, bert-base-multilingual-cased/vocab.txt; and
    tests/fixtures/tokenizer/corpus.jsonl.

What it does (see tests/fixtures/tokenizer/bpe/README.md):
  1. Trains a byte-level BPE here, in Python: GPT-2's byte <-> char table, GPT-2's pre-tokenizer
     regex, word counts, then greedy merges of the most frequent pair (ties: the smallest pair,
     comparing the two strings) until there are 3995 tokens (4000 ids with the 5 special tokens).
  2. Writes bpe/tokenizer.json as roberta-base's is laid out (ByteLevel, RobertaProcessing,
     merges as "a b" strings), bpe/tokenizer-prefix.json (add_prefix_space true, merges as
     [a, b] arrays), bpe/tokenizer-template.json (TemplateProcessing, ignore_merges false,
     merges as arrays), tokenizer_config.json and special_tokens_map.json (RobertaTokenizer).
  3. Encodes the hand-written texts, then every corpus.jsonl text, with the three files through
     the HF Rust crate (node), each text alone, without truncation: bpe/cases.jsonl (the
     hand-written texts and the corpus texts of at most 24 bytes, in full) and
     bpe/corpus-hashes.jsonl (every corpus line: token counts and FNV-1a 64 hashes of the ids and
     offsets). Pairs (truncated to 16, 64, 512 tokens): bpe/pairs.jsonl. Two long texts:
     bpe/long-texts.json.
  4. Asks the crate which code points its pre-tokenizer regex takes for \s, \p{L}, \p{N}
     (a probe tokenizer, see regex_classes): bpe/pretokenizer-classes.json.
  5. Prints what the crate gave for the texts the README quotes (--show-notes).

Deterministic: running it twice gives byte-identical files.
"""
import argparse
import collections
import csv
import heapq
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import regex

from fixture_common import dump, fnv1a64_u32, long_text, read_lines

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = 20261208
N_IDS = 4000                     # 4 specials + 256 bytes + merge results + <mask>
N_TOKENS = N_IDS - 5             # the BPE model's own tokens (bytes + merge results)
CASE_MAX_BYTES = 24           # corpus texts this short also go to cases.jsonl in full
NF_DOCS = 800                    # nfcorpus documents used for training (the first ones)
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SPECIALS = ('<s>', '<pad>', '</s>', '<unk>')


# ---------------------------------------------------------------------------------------------
# Byte-level BPE training
# ---------------------------------------------------------------------------------------------

def bytes_to_unicode():
    """GPT-2's table: printable Latin-1 bytes stand for themselves, the other 68 bytes (controls,
    space, 0x7F-0xA0, 0xAD) for U+0100.. in byte order."""
    bs = (list(range(ord('!'), ord('~') + 1)) + list(range(ord('\u00a1'), ord('\u00ac') + 1))
          + list(range(ord('\u00ae'), ord('\u00ff') + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def load_data(data):
    d = {}
    with open(os.path.join(data, 'ag_news', 'test.csv'), encoding='utf-8', newline='') as f:
        rows = list(csv.reader(f))
    d['ag_t'] = [r[1] for r in rows]
    d['ag_d'] = [r[2].replace('\\n', '\n') for r in rows]
    d['wiki'] = [l for l in read_lines(os.path.join(data, 'wikitext-2', 'valid.txt')) if l.strip()]
    d['sts'] = []
    for fn in ('sts-train.csv', 'sts-dev.csv', 'sts-test.csv'):
        for line in read_lines(os.path.join(data, 'stsbenchmark', fn)):
            p = line.rstrip('\r').split('\t')
            if len(p) >= 7:
                d['sts'] += [p[5], p[6]]
    d['nf'] = []
    with open(os.path.join(data, 'nfcorpus', 'corpus.jsonl'), encoding='utf-8') as f:
        for line in f:
            d['nf'].append(json.loads(line).get('text', ''))
    d['mbert'] = read_lines(os.path.join(data, 'bert-base-multilingual-cased', 'vocab.txt'))
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'tokenizer', 'corpus.jsonl'), encoding='utf-8') as f:
        d['corpus'] = [json.loads(line) for line in f]
    return d


def word_counts(d):
    """Pre-tokenized training words and their counts. Lines: AG News titles and descriptions,
    WikiText-2 valid, STS Benchmark (all three splits), the first NF_DOCS NFCorpus abstracts and
    every corpus.jsonl text, each split with GPT-2's regex (no prefix space). Then, once each, the
    non-ASCII words of mBERT's vocabulary (" " + word; "##" pieces without the space), so that
    Cyrillic, Greek, Arabic, CJK, ... get some merges too."""
    pat = regex.compile(GPT2_PATTERN)
    lines = d['ag_t'] + d['ag_d'] + d['wiki'] + d['sts'] + d['nf'][:NF_DOCS] + d['corpus']
    cnt = collections.Counter()
    for line in lines:
        cnt.update(pat.findall(line))
    for w in d['mbert']:
        if w and not w.isascii() and not w.startswith('['):
            cnt[w[2:] if w.startswith('##') else ' ' + w] += 1
    return cnt, len(lines), sum(len(l.encode('utf-8')) for l in lines)


def train(cnt, n_tokens):
    """Greedy BPE on the byte-level words of `cnt`: merge the most frequent adjacent pair (ties:
    the smallest (left, right) pair as Python compares strings, i.e. by code point), every
    occurrence left to right, until the vocabulary (256 byte chars + merge results) has n_tokens
    entries. Returns the merges [(left, right), ...] and the vocabulary in id order."""
    b2u = bytes_to_unicode()
    words, counts = [], []
    for w, c in cnt.items():
        words.append([b2u[b] for b in w.encode('utf-8')])
        counts.append(c)
    pc = collections.defaultdict(int)          # pair -> count
    where = collections.defaultdict(set)       # pair -> word indices (may be stale)
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            pc[p] += counts[i]
            where[p].add(i)
    heap = [(-c, p) for p, c in pc.items()]
    heapq.heapify(heap)
    vocab = sorted(b2u.values())
    have = set(vocab)
    merges = []
    while len(vocab) < n_tokens and heap:
        negc, p = heapq.heappop(heap)
        c = pc.get(p, 0)
        if c <= 0:
            continue
        if -negc != c:                          # stale entry: put the current count back
            heapq.heappush(heap, (-c, p))
            continue
        if c < 2:
            break
        a, b = p
        new = a + b
        merges.append(p)
        if new not in have:
            vocab.append(new)
            have.add(new)
        changed = set()
        for i in sorted(where.pop(p)):
            w = words[i]
            n = len(w)
            if not any(w[j] == a and w[j + 1] == b for j in range(n - 1)):
                continue
            ci = counts[i]
            for q in zip(w, w[1:]):
                pc[q] -= ci
                changed.add(q)
            out, j = [], 0
            while j < n:
                if j + 1 < n and w[j] == a and w[j + 1] == b:
                    out.append(new)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for q in zip(out, out[1:]):
                pc[q] += ci
                changed.add(q)
                where[q].add(i)
        for q in sorted(changed):
            if pc[q] > 0:
                heapq.heappush(heap, (-pc[q], q))
            else:
                pc.pop(q, None)
    print('  last merge %r, count %d' % (merges[-1], c))
    return merges, vocab


# ---------------------------------------------------------------------------------------------
# tokenizer.json files (key order as the tokenizers crate 0.22 serialises them)
# ---------------------------------------------------------------------------------------------

def added(i, content, lstrip=False, normalized=True):
    return {'id': i, 'content': content, 'single_word': False, 'lstrip': lstrip, 'rstrip': False,
            'normalized': normalized, 'special': True}


def byte_level(add_prefix_space):
    return {'type': 'ByteLevel', 'add_prefix_space': add_prefix_space, 'trim_offsets': True, 'use_regex': True}


def roberta_processing(add_prefix_space):
    return {'type': 'RobertaProcessing', 'sep': ['</s>', 2], 'cls': ['<s>', 0], 'trim_offsets': True,
            'add_prefix_space': add_prefix_space}


def template_processing():
    def sp(t):
        return {'SpecialToken': {'id': t, 'type_id': 0}}

    def seq(x):
        return {'Sequence': {'id': x, 'type_id': 0}}
    return {'type': 'TemplateProcessing',
            'single': [sp('<s>'), seq('A'), sp('</s>')],
            'pair': [sp('<s>'), seq('A'), sp('</s>'), sp('</s>'), seq('B'), sp('</s>')],
            'special_tokens': {'</s>': {'id': '</s>', 'ids': [2], 'tokens': ['</s>']},
                               '<s>': {'id': '<s>', 'ids': [0], 'tokens': ['<s>']}}}


def tokenizer_json(merges, vocab, variant):
    """variant: 'main' (roberta-base's layout), 'prefix' (add_prefix_space true, merges as
    arrays) or 'template' (TemplateProcessing, ignore_merges, merges as arrays, null affixes)."""
    ids = {}
    for t in SPECIALS:
        ids[t] = len(ids)
    for t in vocab:
        ids[t] = len(ids)
    mask_id = len(ids)
    ids['<mask>'] = mask_id
    assert len(ids) == N_IDS, 'a merge result collides with a special token'
    prefix = variant == 'prefix'
    model = {'type': 'BPE', 'dropout': None, 'unk_token': None}
    if variant == 'template':
        model.update({'continuing_subword_prefix': None, 'end_of_word_suffix': None, 'fuse_unk': False,
                      'byte_fallback': False, 'ignore_merges': False})
    else:
        model.update({'continuing_subword_prefix': '', 'end_of_word_suffix': '', 'fuse_unk': False,
                      'byte_fallback': False})
    model['vocab'] = ids
    model['merges'] = [a + ' ' + b for a, b in merges] if variant == 'main' else [[a, b] for a, b in merges]
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [added(0, '<s>'), added(1, '<pad>'), added(2, '</s>'), added(3, '<unk>'),
                         added(mask_id, '<mask>', lstrip=True, normalized=False)],
        'normalizer': None,
        'pre_tokenizer': byte_level(prefix),
        'post_processor': template_processing() if variant == 'template' else roberta_processing(prefix),
        'decoder': byte_level(prefix),
        'model': model,
    }


FILES = (('tokenizer.json', 'main'), ('tokenizer-prefix.json', 'prefix'), ('tokenizer-template.json', 'template'))


# ---------------------------------------------------------------------------------------------
# Hand-written texts (written first in cases.jsonl)
# ---------------------------------------------------------------------------------------------

def hand_texts(rng):
    T = ['', 'Hello world', 'Hello, world! How are you?', 'The quick brown fox jumps over the lazy dog.']
    # -- contractions: the regex's 's 't 're 've 'm 'll 'd are lower-case ASCII only ----------
    T += ["it's", "don't", "we're", "they've", "I'm", "we'll", "he'd", "IT'S", "DON'T", "WE'RE",
          "THEY'VE", "I'M", "WE'LL", "HE'D", "John'S", "we'LL", "It'S a dog'S life", "it\u2019s",
          "don\u2019t we\u2019ll", "it\u02bcs", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL",
          " 's", "'", "''", "'''", " ' ", "it''s", "it 's", "rock 'n' roll", "'tis", "O'Neill's",
          "y'all'd've", "can't've", "'sup", "'ss", "'lll", "'dd", "'s's", "''s", "'re're", "x'sy",
          "1's 2'd", "\u00e9t\u00e9's", "\u65e5's", "'\u65e5", "it's\n's", "'s'"]
    # -- numbers: \p{N}, never merged with letters by the regex --------------------------------
    T += ['123', '1234567890', '3.14159', '1,000,000', '2024-01-01', 'v1.2.3', 'abc123def', 'a1b2c3',
          '0' * 40, ' 42 43', '+1 (555) 123-4567', 'x\u00b2 y\u00b3', '\u2460\u2461\u2462', '\u216b \u217b',
          '\u0663\u0664\u0665', '\u0967\u0968\u0969', '\u00bd \u00bc', '\uff11\uff12\uff13',
          '\U0001d7d8\U0001d7d9', 'H\u2082O', '\u4e00\u4e8c\u4e09 \u3007', 'room 101b', '\u00b9\u00b2\u00b3abc']
    # -- whitespace --------------------------------------------------------------------------
    T += [' ', '  ', '   ', '    ', 'a b', 'a  b', 'a   b', 'a    b', '\t', 'a\tb', 'a\t\tb', 'a \tb',
          'a\t b', 'a \t b', '\n', 'a\nb', 'a\n\nb', 'a \nb', 'a\n b', '\r\n', 'a\r\nb', 'a \r\n b',
          'line1\r\nline2\r\n', '\n\n\n', ' \n ', ' hello', '  hello', '   hello', 'hello ', 'hello  ',
          '   both   ', 'word .', 'hello , world', 'hello ,world', 'a !', 'a  !', 'one  two   three    four',
          'a\u00a0b', 'a\u00a0\u00a0b', 'a\u00a0\u00a0\u00a0b', '\u00a0lead', 'trail\u00a0', 'a \u00a0b',
          'a\u00a0 b', 'a\u3000b', 'a\u3000\u3000b', 'a\u3000\u3000\u3000b', '\u3000\u3000x', 'a \u3000b',
          'a\u2028b', 'a\u2028\u2028b', 'a\u2029b', 'a\u0085b', 'a\u0085\u0085b', 'a\u200bb', 'a\u200b\u200bb',
          'a \u200bb', 'a\u200b b', '\u200b', 'a\u000bb', 'a\u000cb', 'a\u001cb', 'a\u001fb', 'a\u1680b',
          'a\u2003b', 'a\u2009b', 'a\u202fb', 'a\u205fb', 'a\u180eb', 'a\ufeffb', 'a\u2060b',
          'a \u00a0 b', 'a\t\u00a0b', 'x \n\n y', 'end\n', 'end \n', ' \t\n\r\n\u00a0\u3000', '\tx', '\u00a0x',
          '\u3000x', '\nx']
    # " Xx": the space joins X (merge "\u0120" + X's first byte) only if the regex does not take X for \s
    T += [' ' + w + 'x' for w in ('\u00a0', '\u0085', '\u2028', '\u2029', '\u200b', '\u1680', '\u180e', '\u00ad',
                                  '\u2060', '\ufeff', '\u3000', '\u202f', '\u205f', '\u2007', '\u200d', '\x1c', '\x0b',
                                  '\x0c', '\x1f')]
    # -- combining marks: \p{M}, neither \p{L} nor \s ----------------------------------------
    T += ['e\u0301', 'cafe\u0301', 'cafe\u0301 ok', 'e\u0301\u0301\u0301', '\u0301', '\u0301a', ' \u0301',
          'a \u0301b', 'na\u0308ive', 'n\u0303o \u00f1o', 'Z\u0337\u0322a\u0335\u0303l\u0334go',
          '\u0915\u093f\u0924\u093e\u092c', '\u0e01\u0e34\u0e19', 'a\u20ddb']
    # -- scripts -----------------------------------------------------------------------------
    T += ['\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002', '\u6211\u4eec\u662f\u4e2d\u56fd\u4eba\u3002',
          ' \u65e5\u672c', '\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4.', '\u1100\u1161\u11a8',
          '\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a', '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645',
          '\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd', '\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438',
          '\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac', 'na\u00efve caf\u00e9 \u00c0\u00c9\u00ce\u00d5\u00dc \u00df',
          '\u0130stanbul \u01c5 \ufb01 \uff21\uff42\uff43', '\uff83\uff9e\uff70\uff80',
          'English \u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u65e5\u672c\u8a9e \u0627\u0644\u0639\u0631\u0628\u064a\u0629 mixed',
          '\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e', '\u0540\u0561\u0575\u0565\u0580\u0565\u0576']
    # -- emoji and astral --------------------------------------------------------------------
    T += ['\U0001f999', 'a\U0001f999b', ' \U0001f999', '\U0001f999\U0001f999\U0001f999', 'hello \U0001f999 world',
          '\U0001f44d\U0001f3fd', '\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family',
          '\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea', '\u2603\ufe0f', '1\ufe0f\u20e3',
          '\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f', '\U00010330\U00010331 gothic',
          '\U00020000\U0002a6d6', '\U0001f600!', '!\U0001f600']
    # letters and digits of Unicode 15.0-16.0 (\p{L} / \p{N} for the crate's regex)
    T += ['a\U00011f04b', ' \U00011f04\U00011f05', 'x\U0001e4f0y', '\u1c89\u1c8a', ' \U00031350', '1\U00016130 2',
          '\ua7cb\ua7dc']
    # -- controls, NUL, odd code points ------------------------------------------------------
    T += ['\x00', 'a\x00b', '\x00\x00', ' \x00 ', '\x01\x02\x1f', '\x7f', '\x80', 'a\x1bb', '\ufffd', '\ue000',
          '\U000f0000', '\U0010ffff', '\ufdd0', 'a\u00adb']
    # -- special tokens typed in the text (<mask> lstrip, the others matched as they are) ----
    T += ['<s>', '</s>', '<pad>', '<unk>', '<mask>', '<MASK>', '< mask >', '<mask', 'mask>', 'a <mask> b',
          'a<mask>b', ' <mask> ', 'a  <mask>  b', 'a\t<mask>', 'a\n<mask>', 'a\u00a0<mask>b', 'a\u3000<mask>b',
          'a\u0085<mask>b', 'a\u200b<mask>b', '<mask> at start', ' <mask> leading', 'end <mask>', 'end<mask>',
          '<mask><mask>', '<mask> <mask>', 'The capital of France is <mask>.', '<mask> ', '<mask>  x',
          '<s>hello</s>', '<s> hello </s>', 'hello </s> <s> world', '</s></s>', 'x<pad>y', 'x <pad> y',
          'unknown <unk> token', '<unk><unk>', '<<mask>>', '<s<s>>', '\u00e9<mask>', '\U0001f999<mask>\U0001f999',
          '<mask>\r\n', "it's<mask>'s", 'a <s> b', ' </s>', '<mask>\u00e9', '<mask>\u65e5\u672c', 'a<mask>\U0001f999',
          '<s>\u00e9', '</s> \u00e9', '<mask>b', 'a\u2028<mask>', 'a \u3000 <mask>']
    # -- long words, merge chains ------------------------------------------------------------
    T += ['antidisestablishmentarianism', 'pneumonoultramicroscopicsilicovolcanoconiosis',
          'Donaudampfschifffahrtsgesellschaftskapit\u00e4n', 'internationalization', 'supercalifragilistic' * 5,
          ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(240)), 'a' * 300, 'ab' * 150,
          'the' * 100, ' the' * 60, '\u00e9' * 120, '\U0001f600' * 60, '\u65e5\u672c' * 100, '1' * 250,
          '\u0434\u043e\u0441\u0442\u043e\u043f\u0440\u0438\u043c\u0435\u0447\u0430\u0442\u0435\u043b\u044c\u043d\u043e\u0441\u0442\u0438',
          '-' * 80, ' ' * 70 + 'x']
    # -- punctuation runs --------------------------------------------------------------------
    T += ['!!!', '...', '?!?!', 'a...b', 'hello!!!world', ' ...', '\u2014', '-- -- --', '\u2026 \u00bb\u00ab',
          '!@#$%^&*()_+-=[]{}|;\':",./<>?', '((()))', ',,,, ,,,, ,,,,', '\u00a1Hola! \u00bfQu\u00e9?', ':-) ;-)']
    # -- URLs and code -----------------------------------------------------------------------
    T += ['https://example.com/path?q=1&r=2#frag', 'www.example.org', 'someone@example.com',
          'def foo(x):\n    return x**2\n', 'int main(void) { return 0; }', 'for (i = 0; i < n; i++) {}',
          '<div class="x">hi</div>', "SELECT * FROM t WHERE a = 'b';", '$HOME/.config/foo.json',
          'C:\\Users\\x\\file.txt', '{"key": [1, 2, 3]}', '    indented code', '\tif x:\n\t\tpass']
    # -- seeded random mixes of the tricky pieces ------------------------------------------
    pieces = ["'s", "'LL", '\u2019s', 'it', 'DON', 'x', '\u00e9', 'e\u0301', '\u65e5', '\U0001f999', '42', '\u2460',
              '<mask>', '<s>', '</s>', '<pad>', '!', '...', '\x00', '\u200b', 'word', 'Hello', '\u0416\u0438']
    seps = [' ', ' ', ' ', '', '  ', '   ', '\t', '\n', '\u00a0', '\u3000', '\u2028', '\u0085', '\r\n']
    for _ in range(40):
        s = rng.choice(pieces)
        for _ in range(rng.randint(1, 6)):
            s += rng.choice(seps) + rng.choice(pieces)
        if rng.random() < 0.2:
            s = rng.choice(seps) + s
        if rng.random() < 0.2:
            s += rng.choice(seps)
        T.append(s)
    out = list(dict.fromkeys(T))
    for s in out:
        s.encode('utf-8')  # raises on lone surrogates
    return out


# ---------------------------------------------------------------------------------------------
# The crate (node)
# ---------------------------------------------------------------------------------------------

def run_reference(js, paths, texts):
    r = subprocess.run(['node', js] + list(paths), input=json.dumps(texts).encode('utf-8'),
                       stdout=subprocess.PIPE, check=True)
    return json.loads(r.stdout)


def pairs(out_dir, hand, rng):
    """pairs.jsonl: 120 pairs of hand-written texts (some empty) through each file as pairs,
    truncated longest_first to 16, 64 and 512 tokens (tests/models/tokenize_texts.js)."""
    short = [t for t in hand if len(t) <= 400]
    ps = []
    for max_length in (16, 64, 512):
        for k in range(40):
            a, b = rng.choice(short), rng.choice(short)
            if k % 10 == 3:
                a = ''
            elif k % 10 == 6:
                b = ''
            elif k == 9:
                a = b = ''
            ps.append((max_length, a, b))
    res = {}
    for name, variant in FILES:
        res[variant] = []
        for max_length in (16, 64, 512):
            chunk = [[a, b] for m, a, b in ps if m == max_length]
            r = subprocess.run(['node', os.path.join(ROOT, 'tests', 'models', 'tokenize_texts.js'), '--tokenizer-json',
                                os.path.join(out_dir, name), '--max-length', str(max_length), '--pairs'],
                               input=json.dumps(chunk).encode('utf-8'), stdout=subprocess.PIPE, check=True)
            rr = json.loads(r.stdout)
            res[variant] += list(zip(rr['ids'], rr['type_ids']))
    with open(os.path.join(out_dir, 'pairs.jsonl'), 'w', encoding='utf-8', newline='\n') as f:
        for k, (m, a, b) in enumerate(ps):
            row = {'a': a, 'b': b, 'max_length': m, 'ids': res['main'][k][0], 'type_ids': res['main'][k][1],
                   'ids_prefix': res['prefix'][k][0], 'type_ids_prefix': res['prefix'][k][1],
                   'ids_template': res['template'][k][0], 'type_ids_template': res['template'][k][1]}
            f.write(json.dumps(row, ensure_ascii=True, separators=(',', ':')) + '\n')
    return ps, res


LONG_TEXTS = (  # (name, which case texts, length in bytes to reach)
    ('mixed', lambda t: '<' not in t, 300000),
    ('no_ascii_letters', lambda t: '<' not in t and not any(c.isascii() and c.isalnum() for c in t), 200000),
)


def long_texts(out_dir, texts, js):
    longs = [(name, long_text(texts, keep, size)) for name, keep, size in LONG_TEXTS]
    res = run_reference(js, [os.path.join(out_dir, n) for n, _ in FILES], [t for _, t in longs])['results']
    doc = {'rule': 'the texts of cases.jsonl that are kept, in file order, each followed by one space, '
                   'cycled until the text reaches size bytes; ids and offsets of the whole text, no truncation; '
                   'main: tokenizer.json, prefix: tokenizer-prefix.json, template: tokenizer-template.json',
           'texts': []}
    for k, (name, t) in enumerate(longs):
        entry = {'name': name, 'size': LONG_TEXTS[k][2], 'bytes': len(t.encode('utf-8'))}
        for f, (_, variant) in enumerate(FILES):
            rr = res[f][k]
            ids = rr['ids']
            entry[variant] = {'n': len(ids), 'ids_fnv1a64': fnv1a64_u32(ids),
                              'offsets_fnv1a64': fnv1a64_u32([x for se in rr['offsets'] for x in se]),
                              'head': ids[:24], 'tail': ids[-24:]}
        doc['texts'].append(entry)
        print('long text %s: %d bytes, %d / %d / %d tokens' % (
            name, entry['bytes'], entry['main']['n'], entry['prefix']['n'], entry['template']['n']))
    with open(os.path.join(out_dir, 'long-texts.json'), 'w', encoding='utf-8', newline='\n') as f:
        f.write(json.dumps(doc, indent=1) + '\n')


CLASS_PLANES = ((0x0000, 0xD7FF), (0xE000, 0x3FFFF), (0xE0000, 0xE0FFF))  # planes 0-3 and 14, no surrogates
CLASS_TESTS = (('white_space', ' ', 'z\n'), ('letter', 'a', '\n'), ('number', '1', '\n'))


def ranges(cps):
    out = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def regex_classes(out_dir, main_json, js):
    """pretokenizer-classes.json: which code points the crate's ByteLevel regex takes for \\s, \\p{L}
    and \\p{N}, asked of the crate itself. A probe tokenizer (tokenizer.json with another model:
    the 256 byte chars and the merges "\u0120 c", "a c", "1 c" for every byte char c; no
    post-processor, so no offset trimming) encodes, for every code point X of CLASS_PLANES,
    " Xz", "aX" and "1X" (each followed by "\\n", 8192 to a text). The lead char is merged with
    X's first byte exactly when the regex puts it in X's pre-token: " X" unless X is \\s ("\\s+(?!\\S)"
    leaves the space alone before a \\s), "aX" iff X is \\p{L}, "1X" iff X is \\p{N}."""
    b2u = bytes_to_unicode()
    chars = sorted(b2u.values())
    doc = json.loads(main_json)
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    merges = []
    for c in chars:
        vocab[c] = len(vocab)
    for lead in ('\u0120', 'a', '1'):
        for c in chars:
            vocab[lead + c] = len(vocab)
            merges.append(lead + ' ' + c)
    doc['added_tokens'][-1]['id'] = len(vocab)
    vocab['<mask>'] = len(vocab)
    doc['model']['vocab'], doc['model']['merges'] = vocab, merges
    doc['post_processor'] = None
    cps = [cp for lo, hi in CLASS_PLANES for cp in range(lo, hi + 1)]
    texts, where = [], []
    for kind, lead, tail in CLASS_TESTS:
        for i in range(0, len(cps), 8192):
            parts, o = [], 0
            for cp in cps[i:i + 8192]:
                seg = lead + chr(cp) + tail
                where.append((kind, cp, len(texts), o))
                parts.append(seg)
                o += len(seg.encode('utf-8'))
            texts.append(''.join(parts))
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, 'probe.json')
        with open(probe, 'w', encoding='utf-8') as f:
            f.write(dump(doc))
        res = run_reference(js, [probe], texts)['results'][0]
    ends = [{s: e for s, e in reversed(r['offsets'])} for r in res]   # token start -> end (first token there)
    got = {kind: set() for kind, _, _ in CLASS_TESTS}
    for kind, cp, t, o in where:
        if ends[t][o] > o + 1:
            got[kind].add(cp)
    ws = sorted(set(cps) - got['white_space'])
    letter, number = sorted(got['letter']), sorted(got['number'])
    assert not (set(ws) & got['letter']) and not (set(ws) & got['number']) and not (got['letter'] & got['number'])
    out = {'about': 'the code points the crate\'s ByteLevel regex takes for \\s, \\p{L}, \\p{N} '
                    '(make_bpe_fixtures.py regex_classes); every other checked code point is none of them',
           'checked': [list(r) for r in CLASS_PLANES], 'white_space': ws,
           'letter': ranges(letter), 'number': ranges(number)}
    with open(os.path.join(out_dir, 'pretokenizer-classes.json'), 'w', encoding='utf-8', newline='\n') as f:
        f.write('{\n' + ',\n'.join('%s: %s' % (json.dumps(k), json.dumps(v, separators=(',', ':')))
                                    for k, v in out.items()) + '\n}\n')
    print('regex classes: %d \\s, %d \\p{L} (%d ranges), %d \\p{N} (%d ranges) of %d code points' % (
        len(ws), len(letter), len(out['letter']), len(number), len(out['number']), len(cps)))
    # Against the UCD Debian ships (unicode-data), for the README; information only.
    ucd = '/usr/share/unicode/extracted/DerivedGeneralCategory.txt'
    if os.path.exists(ucd):
        cat = {}
        with open(ucd, encoding='utf-8') as f:
            for line in f:
                line = line.split('#')[0].strip()
                if not line:
                    continue
                r, c = [x.strip() for x in line.split(';')]
                lo, _, hi = r.partition('..')
                for cp in range(int(lo, 16), int(hi or lo, 16) + 1):
                    cat[cp] = c
        for name, mine, pre in (('letter', set(letter), 'L'), ('number', set(number), 'N')):
            theirs = {cp for cp in cps if cat.get(cp, 'Cn').startswith(pre)}
            print('  %s vs %s: %d more in the crate %s, %d fewer %s' % (
                name, ucd, len(mine - theirs), [hex(c) for c in sorted(mine - theirs)[:8]], len(theirs - mine),
                [hex(c) for c in sorted(theirs - mine)[:8]]))


# The texts the README quotes (all of them are hand-written cases).
NOTE_TEXTS = ['Hello world', ' hello', '  hello', 'hello  ', 'a  b', 'a   b', '   ', 'hello , world',
              ' \U0001f999', 'a\U0001f999b', '\U0001f44d\U0001f3fd', 'e\u0301', 'cafe\u0301 ok', 'a <mask> b',
              'a  <mask>  b', 'a<mask>b', ' <mask> ', 'a\u00a0<mask>b', 'a\u3000<mask>b', 'a\u0085<mask>b',
              'a\n<mask>', '<mask> ', '<s> hello </s>', 'a <s> b', 'a\u00a0\u00a0b', 'a\u00a0\u00a0\u00a0b',
              'a\u3000\u3000b', 'a\u3000\u3000\u3000b', 'a \u00a0b', 'a\u0085b', 'a\u0085\u0085b', 'a\u2028b',
              'a\u2028\u2028b', 'a\u200bb', 'a\u200b\u200bb', 'a\u001cb', 'a\u180eb', 'a\u1680b', '', ' ', "IT'S",
              "it\u2019s", "'s's", 'a\tb', 'a\t\tb', 'a\r\nb', '\r\n', 'a\x00b', 'hello ', ' 42 43',
              '\u0663\u0664\u0665', 'x\u00b2 y\u00b3', '\u2460\u2461\u2462', '\u216b \u217b', '   hello']


def show(t, r):
    b = t.encode('utf-8')
    return '%s -> %s' % (json.dumps(t), ' '.join('%s %d [%d,%d]%s' % (
        json.dumps(tok, ensure_ascii=False), i, s, e, '' if s == e else '=' + json.dumps(b[s:e].decode('utf-8', 'replace'), ensure_ascii=False))
        for tok, i, (s, e) in zip(r['tokens'], r['ids'], r['offsets'])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.environ.get('EMBED_SHARED_DATA', '/work/shared/data'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'tests', 'fixtures', 'tokenizer', 'bpe'))
    ap.add_argument('--show-notes', action='store_true', help='print the crate\'s tokens for the README\'s examples')
    a = ap.parse_args()
    t0 = time.time()
    d = load_data(a.data)
    cnt, nlines, nbytes = word_counts(d)
    merges, vocab = train(cnt, N_TOKENS)
    assert len(vocab) == N_TOKENS, len(vocab)
    ndup = len(merges) - (len(vocab) - 256)
    print('training: %d lines (%d bytes) + mBERT words, %d distinct words; %d merges, %d tokens '
          '(%d merges repeat an existing token); %.1f s' % (nlines, nbytes, len(cnt), len(merges), len(vocab), ndup,
                                                           time.time() - t0))

    os.makedirs(a.out, exist_ok=True)
    files = {}
    for name, variant in FILES:
        files[name] = dump(tokenizer_json(merges, vocab, variant))
        with open(os.path.join(a.out, name), 'w', encoding='utf-8', newline='\n') as f:
            f.write(files[name])
    side = {'tokenizer_config.json': {
                'add_prefix_space': False, 'bos_token': '<s>', 'clean_up_tokenization_spaces': True, 'cls_token': '<s>',
                'eos_token': '</s>', 'errors': 'replace', 'mask_token': '<mask>', 'model_max_length': 512,
                'pad_token': '<pad>', 'sep_token': '</s>', 'tokenizer_class': 'RobertaTokenizer', 'trim_offsets': True,
                'unk_token': '<unk>'},
            'special_tokens_map.json': {
                'bos_token': '<s>', 'cls_token': '<s>', 'eos_token': '</s>',
                'mask_token': {'content': '<mask>', 'lstrip': True, 'normalized': False, 'rstrip': False,
                               'single_word': False},
                'pad_token': '<pad>', 'sep_token': '</s>', 'unk_token': '<unk>'}}
    for name, obj in side.items():
        with open(os.path.join(a.out, name), 'w', encoding='utf-8', newline='\n') as f:
            f.write(json.dumps(obj, indent=2) + '\n')

    hand = hand_texts(random.Random(SEED))
    corpus = d['corpus']
    texts = hand + corpus
    js = os.path.join(ROOT, 'tests', 'tokenizer', 'unigram_reference.js')
    ref = run_reference(js, [os.path.join(a.out, n) for n, _ in FILES], texts)
    res = dict(zip([v for _, v in FILES], ref['results']))

    # What the crate writes back when it saves what it loaded.
    for (name, variant), saved in zip(FILES, ref['saved']):
        mine, back = json.loads(files[name]), json.loads(saved)
        diffs = []
        for k in sorted(set(mine) | set(back)):
            if k == 'model':
                for mk in sorted(set(mine[k]) | set(back[k])):
                    if mine[k].get(mk, '<absent>') != back[k].get(mk, '<absent>'):
                        v = back[k].get(mk, '<absent>')
                        diffs.append('model.%s -> %s' % (mk, json.dumps(v)[:60] if mk != 'vocab' else 'other vocab'))
            elif mine.get(k, '<absent>') != back.get(k, '<absent>'):
                diffs.append('%s -> %s' % (k, json.dumps(back.get(k, '<absent>'))[:200]))
        print('%s: crate round trip %s%s' % (name, 'byte-identical' if saved == files[name] else 'differs',
                                            '; ' + '; '.join(diffs) if diffs else ' (same JSON)'))

    for k, t in enumerate(texts):
        b = len(t.encode('utf-8'))
        for v in res:
            rr = res[v][k]
            assert rr['ids'][0] == 0 and rr['ids'][-1] == 2, t
            assert all(0 <= s <= e <= b for s, e in rr['offsets']), t
            assert all(0 <= i < N_IDS for i in rr['ids']), t
    # cases.jsonl: the hand-written texts, then the corpus texts of at most CASE_MAX_BYTES bytes.
    case_idx = list(range(len(hand))) + [len(hand) + i for i, t in enumerate(corpus)
                                         if len(t.encode('utf-8')) <= CASE_MAX_BYTES]
    with open(os.path.join(a.out, 'cases.jsonl'), 'w', encoding='utf-8', newline='\n') as f:
        for k in case_idx:
            m = res['main'][k]
            row = {'text': texts[k], 'ids': m['ids'], 'offsets': m['offsets']}
            if k < len(hand):
                row['tokens'] = m['tokens']
            for v in ('prefix', 'template'):
                row['ids_' + v] = res[v][k]['ids']
                row['offsets_' + v] = res[v][k]['offsets']
            f.write(json.dumps(row, ensure_ascii=True, separators=(',', ':')) + '\n')
    # corpus-hashes.jsonl: every corpus line, as counts and hashes (main, prefix, template).
    with open(os.path.join(a.out, 'corpus-hashes.jsonl'), 'w', encoding='utf-8', newline='\n') as f:
        for i in range(len(corpus)):
            k = len(hand) + i
            rs = [res[v][k] for v in ('main', 'prefix', 'template')]
            f.write(json.dumps({'n': [len(r['ids']) for r in rs], 'ids': [fnv1a64_u32(r['ids']) for r in rs],
                                'offsets': [fnv1a64_u32([x for se in r['offsets'] for x in se]) for r in rs]},
                               separators=(',', ':')) + '\n')
    case_texts = [texts[k] for k in case_idx]

    def count(pred):
        return sum(1 for k in range(len(texts)) if pred(k))
    print('binding @anush008/tokenizers %s; %d texts (%d hand-written, %d corpus); cases.jsonl %d texts '
          '(%d corpus texts of <= %d bytes); %d tokens through tokenizer.json'
          % (ref['binding'], len(texts), len(hand), len(corpus), len(case_idx), len(case_idx) - len(hand),
             CASE_MAX_BYTES, sum(len(r['ids']) for r in res['main'])))
    print('  ids: prefix differs from main on %d texts, template on %d; offsets: template differs on %d, '
          'prefix (where ids are equal) on %d' % (
              count(lambda k: res['prefix'][k]['ids'] != res['main'][k]['ids']),
              count(lambda k: res['template'][k]['ids'] != res['main'][k]['ids']),
              count(lambda k: res['template'][k]['offsets'] != res['main'][k]['offsets']),
              count(lambda k: res['prefix'][k]['ids'] == res['main'][k]['ids']
                    and res['prefix'][k]['offsets'] != res['main'][k]['offsets'])))

    long_texts(a.out, case_texts, js)
    regex_classes(a.out, files['tokenizer.json'], js)
    ps, pres = pairs(a.out, hand, random.Random(SEED + 2))
    print('pairs: %d, %d of them max_length tokens long; template ids differ from main on %d, type ids on %d' % (
        len(ps), sum(1 for k, (m, _, _) in enumerate(ps) if len(pres['main'][k][0]) == m),
        sum(1 for k in range(len(ps)) if pres['template'][k][0] != pres['main'][k][0]),
        sum(1 for k in range(len(ps)) if pres['template'][k][1] != pres['main'][k][1])))

    if a.show_notes:
        idx = {t: k for k, t in enumerate(texts)}
        for t in NOTE_TEXTS:
            k = idx[t]
            for v in ('main', 'prefix', 'template'):
                print('%-8s %s' % (v, show(t, res[v][k])))
    print('%.1f s' % (time.time() - t0))


if __name__ == '__main__':
    sys.exit(main())
