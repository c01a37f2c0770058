#!/usr/bin/env python3
"""Build the tokenizer parity corpus: tests/fixtures/tokenizer/corpus.jsonl.

One JSON string per line (json.dumps(..., ensure_ascii=True), so the file is pure ASCII and
every text survives any tool chain byte for byte; astral characters appear as surrogate-pair
escapes, which every JSON parser joins back into one code point).  No lone surrogates: every
text is a sequence of Unicode scalar values, so it has a well-defined UTF-8 form.

    python3 tests/tokenizer/make_corpus.py [--data /work/shared/data] [--out PATH] [--seed N]

Standard library only.  Deterministic: a fixed seed, sorted inputs, no set/dict-order
dependence.  The only environment dependence is `unicodedata` (used to pick random P*/S*,
unassigned and "assigned after Unicode 8.0" code points); the committed corpus was made with
Python 3.11 (unicodedata 14.0.0) and the script warns when the version differs.

Line order: 1-46 are the llama.cpp test strings (tests/fixtures/tokenizer/llama-cpp/*.inp), then
hand-written and generated edge cases, then real sentences, then long texts.
"""
import argparse
import csv
import json
import os
import random
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
EXPECTED_UNIDATA = '14.0.0'
MAX_BYTES = 3 * 1024 * 1024

C = chr


def is_scalar(cp):
    return 0 <= cp <= 0x10FFFF and not (0xD800 <= cp <= 0xDFFF)


class Corpus:
    def __init__(self):
        self.texts = []
        self.seen = set()

    def add(self, s):
        assert isinstance(s, str)
        for ch in s:
            assert is_scalar(ord(ch)), hex(ord(ch))
        if s in self.seen:
            return
        self.seen.add(s)
        self.texts.append(s)

    def extend(self, it):
        for s in it:
            self.add(s)


# ---------------------------------------------------------------------------------------------
# Unicode helpers (built once, in code point order, so they are deterministic)

def cps_by_category():
    cats = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        cats.setdefault(unicodedata.category(C(cp)), []).append(cp)
    return cats


# Blocks of scripts added after Unicode 8.0 (version in comment).  Code points are filtered to
# those assigned in the running unicodedata, plus a hard-coded list for 15.0/16.0.
POST_8_RANGES = [
    (0x104B0, 0x104FB),  # Osage 9.0 (cased)
    (0x1E900, 0x1E95F),  # Adlam 9.0 (cased, Mn 1E944-1E94A, Po 1E95E/F)
    (0x11400, 0x1147F),  # Newa 9.0
    (0x11C00, 0x11C6F),  # Bhaiksuki 9.0
    (0x11C70, 0x11CBF),  # Marchen 9.0
    (0x17000, 0x17020),  # Tangut 9.0 (first few)
    (0x1E000, 0x1E02F),  # Glagolitic Supplement 9.0 (Mn)
    (0x11D00, 0x11D5F),  # Masaram Gondi 10.0
    (0x11A00, 0x11A4F),  # Zanabazar Square 10.0
    (0x11A50, 0x11AAF),  # Soyombo 10.0
    (0x1B170, 0x1B1FF),  # Nushu 10.0
    (0x0860, 0x086F),    # Syriac Supplement 10.0
    (0x1C90, 0x1CBF),    # Georgian Mtavruli 11.0 (uppercase of Mkhedruli)
    (0x11800, 0x1184F),  # Dogra 11.0
    (0x16E40, 0x16E9F),  # Medefaidrin 11.0 (cased)
    (0x11D60, 0x11DAF),  # Gunjala Gondi 11.0
    (0x10D00, 0x10D3F),  # Hanifi Rohingya 11.0
    (0x10F30, 0x10F6F),  # Sogdian 11.0
    (0x10FE0, 0x10FFF),  # Elymaic 12.0
    (0x119A0, 0x119FF),  # Nandinagari 12.0
    (0x1E2C0, 0x1E2FF),  # Wancho 12.0
    (0x1E100, 0x1E14F),  # Nyiakeng Puachue Hmong 12.0
    (0x13430, 0x13438),  # Egyptian hieroglyph format controls 12.0 (Cf today)
    (0x10E80, 0x10EBF),  # Yezidi 13.0
    (0x10FB0, 0x10FDF),  # Chorasmian 13.0
    (0x11900, 0x1195F),  # Dives Akuru 13.0 (11938 has a canonical decomposition)
    (0x18B00, 0x18B20),  # Khitan Small Script 13.0
    (0x30000, 0x30020),  # CJK Extension G 13.0 (NOT in BERT's CJK ranges)
    (0x10570, 0x105BF),  # Vithkuqi 14.0 (cased)
    (0x1E290, 0x1E2BF),  # Toto 14.0
    (0x12F90, 0x12FFF),  # Cypro-Minoan 14.0
    (0x16A70, 0x16ACF),  # Tangsa 14.0
    (0x10F70, 0x10FAF),  # Old Uyghur 14.0
    (0x1CF00, 0x1CFCF),  # Znamenny Musical Notation 14.0 (Mn)
    (0x0890, 0x0891),    # Arabic pound/piastre mark above 14.0 (Cf)
    (0x08D4, 0x08E1),    # Arabic marks 9.0 (Mn)
    (0x2E43, 0x2E5D),    # Supplemental punctuation 9.0-14.0 (Po/Pd/Ps/Pe)
    (0x1F900, 0x1F9FF),  # Supplemental Symbols and Pictographs (mostly 9.0-14.0)
    (0x1FA70, 0x1FAFF),  # Symbols and Pictographs Extended-A 12.0-14.0
    (0xA7C0, 0xA7CA),    # Latin Extended-D additions 12.0-14.0 (cased)
    (0x0D00, 0x0D04),    # Malayalam 10.0/13.0 marks
]
# Hard-coded code points assigned in Unicode 15.0 / 15.1 / 16.0 (unknown to Python 3.11).
POST_14_CPS = (
    list(range(0x11F00, 0x11F11)) +      # Kawi 15.0
    list(range(0x1E4D0, 0x1E4FA)) +      # Nag Mundari 15.0
    list(range(0x1E030, 0x1E040)) +      # Cyrillic modifier letters 15.0
    list(range(0x31350, 0x31360)) +      # CJK Extension H 15.0
    list(range(0x2EBF0, 0x2EC00)) +      # CJK Extension I 15.1
    list(range(0x10D50, 0x10D66)) +      # Garay capitals 16.0
    list(range(0x10D70, 0x10D86)) +      # Garay small letters 16.0
    list(range(0x105C0, 0x105F4)) +      # Todhri 16.0
    list(range(0x11BC0, 0x11BE1)) +      # Sunuwar 16.0
    list(range(0x16D40, 0x16D6D)) +      # Kirat Rai 16.0 (16D68-16D6A decompose canonically)
    list(range(0x1E5D0, 0x1E5FA)) +      # Ol Onal 16.0
    [0xA7CB, 0xA7CC, 0xA7CD, 0xA7DA, 0xA7DB, 0xA7DC] +  # Latin 16.0 (cased)
    [0x1FAE8, 0x1FAE9, 0x1FAEA, 0x1FAEF, 0x1FADC]       # emoji 15.0/16.0
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.environ.get('EMBED_SHARED_DATA', '/work/shared/data'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'tests/fixtures/tokenizer/corpus.jsonl'))
    ap.add_argument('--seed', type=int, default=20261123)
    a = ap.parse_args()
    if unicodedata.unidata_version != EXPECTED_UNIDATA:
        print('make_corpus: warning: unicodedata %s (committed corpus used %s); the random '
              'category-based picks will differ' % (unicodedata.unidata_version, EXPECTED_UNIDATA),
              file=sys.stderr)
    rng = random.Random(a.seed)
    cats = cps_by_category()
    corpus = Corpus()
    counts = []

    def section(name, fn):
        n0 = len(corpus.texts)
        fn()
        counts.append((name, len(corpus.texts) - n0))

    def pick(lst, k=None):
        return rng.choice(lst) if k is None else [rng.choice(lst) for _ in range(k)]

    def rstr(pool, lo, hi):
        return ''.join(C(pick(pool)) for _ in range(rng.randint(lo, hi)))

    def rword(lo=2, hi=10):
        return ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(lo, hi)))

    contexts = [
        lambda x: x, lambda x: 'a' + x + 'b', lambda x: 'a ' + x + ' b', lambda x: 'word' + x,
        lambda x: x + 'word', lambda x: 'hello ' + x + 'world', lambda x: '[CLS]' + x + '[SEP]',
        lambda x: x + x + x, lambda x: 'Caf\u00e9' + x + 'na\u00efve', lambda x: '\u4e2d' + x + '\u6587',
        lambda x: '(' + x + ')', lambda x: x + ' ' + x,
    ]

    def in_contexts(x, k=None):
        ctx = contexts if k is None else rng.sample(contexts, k)
        return [f(x) for f in ctx]

    # ---- 1. llama.cpp test strings (first 46 lines) ----------------------------------------
    def llama():
        inp = os.path.join(ROOT, 'tests/fixtures/tokenizer/llama-cpp/ggml-vocab-bert-bge.gguf.inp')
        with open(inp, encoding='utf-8', newline='') as f:
            parts = f.read().split('\n__ggml_vocab_test__\n')
        assert parts[-1] == '', 'unterminated last case'  # 46 cases in llama.cpp c392e50
        for p in parts[:-1]:
            corpus.texts.append(p)  # keep all of them in order even if duplicated elsewhere
            corpus.seen.add(p)
    section('llama.cpp cases', llama)

    # ---- 2. empty, whitespace, invisible ----------------------------------------------------
    WS = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680] + list(range(0x2000, 0x200B)) + \
         [0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0x180E, 0x200B, 0xFEFF, 0x1C, 0x1D, 0x1E, 0x1F]
    INVIS = [0x00, 0xFFFD, 0x200B, 0xFEFF, 0x2060, 0xAD, 0x200C, 0x200D, 0x200E, 0x200F,
             0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2061, 0x2062, 0x2063, 0x2064, 0x2066,
             0x2067, 0x2068, 0x2069, 0x206A, 0x206F, 0x061C, 0x180E, 0xFFF9, 0xFFFA, 0xFFFB,
             0x110BD, 0x110CD, 0x1BCA0, 0x1BCA3, 0x1D173, 0x1D17A, 0xE0001, 0xE0020, 0xE007F,
             0x034F, 0xFE00, 0xFE0F, 0xE0100, 0xE01EF, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x17B4,
             0x2065, 0xFFFC, 0xFFFE, 0xFFFF]

    def whitespace():
        corpus.add('')
        for w in WS:
            corpus.extend([C(w), C(w) * 3, 'a' + C(w) + 'b', C(w) + 'x' + C(w), 'hello' + C(w) + 'world',
                           '\u4e2d' + C(w) + '\u6587', '[CLS]' + C(w) + '[SEP]', 'don' + C(w) + "'t"])
        pure = WS[:22]
        for _ in range(60):
            corpus.add(rstr(pure, 1, 12))
        for _ in range(40):
            corpus.add(' '.join(rword() for _ in range(rng.randint(2, 6))).replace(' ', C(pick(WS))))
        corpus.extend(['\r\n', 'a\r\nb', '\t\t\ta', 'a\u00a0\u00a0b', ' \u3000 ', '\n\n\n\n\n\nx\n'])
    section('whitespace', whitespace)

    def invisible():
        for c in INVIS:
            corpus.extend(in_contexts(C(c)))
            corpus.add(C(c))
        corpus.extend(['\u200b\u200b\u200b', '\u0000', '\u0000\u0000a\u0000', '\ufeffHello', 'Hello\ufeff',
                       'soft\u00adhyphen', 'in\u00adcred\u00adi\u00adble', 'zero\u200bwidth\u200bspace',
                       'word\u2060joiner', 'a\ufffdb', '\ufffd', '\ufffd\ufffd\ufffd ok',
                       'lig\u200cature', 'e\u0000\u0301', 'x\u200b\u0301y', 'A\u00ad\u0301B'])
        for _ in range(60):
            corpus.add(''.join(rng.choice([rword(1, 4), C(pick(INVIS)), ' ']) for _ in range(rng.randint(2, 10))))
    section('invisible/format', invisible)

    # ---- 3. control characters ----------------------------------------------------------------
    def controls():
        ctrl = list(range(0x00, 0x20)) + [0x7F] + list(range(0x80, 0xA0))
        for c in ctrl:
            corpus.extend([C(c), 'a' + C(c) + 'b', 'a ' + C(c) + ' b', C(c) + 'word' + C(c),
                           '[CLS]' + C(c) + '[SEP]', 'caf\u00e9' + C(c) + '\u00e9t\u00e9', '\u4e00' + C(c) + '\u4e01'])
        corpus.add(''.join(C(c) for c in ctrl))
        corpus.add(' '.join(C(c) for c in ctrl))
        corpus.add('x'.join(C(c) for c in ctrl))
        for _ in range(40):
            corpus.add(''.join(rng.choice([rword(1, 5), C(pick(ctrl))]) for _ in range(rng.randint(2, 9))))
    section('controls', controls)

    # ---- 4. punctuation and symbols ----------------------------------------------------------
    ASCII_PUNCT = [c for c in range(0x21, 0x7F) if not C(c).isalnum()]
    UNI_PUNCT = ('\u20ac \u00a9 \u2122 \u00ab \u00bb \u00bf \u00a1 \u2014 \u2013 \u2026 \u203d \u203b \u2030 \u2032 '
                 '\u2033 \u2039 \u203a \u201e \u201c \u201d \u2018 \u2019 \u2022 \u00b7 \u00a7 \u00b6 \u2020 \u2021 '
                 '\u00b0 \u00b1 \u00d7 \u00f7 \u00ac \u00a6 \u00a8 \u00af \u00b4 \u00b8 \u02c6 \u02dc \u00a2 \u00a3 '
                 '\u00a5 \u00a4 \u00b5 \u2103 \u2116 \u2117 \u00ae \u2190 \u2192 \u2194 \u21d2 \u2200 \u2202 \u2203 '
                 '\u2205 \u2207 \u2208 \u2211 \u221a \u221e \u2248 \u2260 \u2264 \u2265 \u2295 \u2318 \u2423 \u25a0 '
                 '\u25a1 \u25b2 \u25ba \u25c6 \u25cb \u25cf \u2605 \u2606 \u260e \u263a \u2660 \u2663 \u2665 \u2666 '
                 '\u266a \u266b \u2713 \u2714 \u2717 \u2764 \u27e8 \u27e9 \u3008 \u3009 \u300a \u300b \u300c \u300d '
                 '\u300e \u300f \u3010 \u3011 \u3014 \u3015 \u3001 \u3002 \u3003 \u301c \u30fb \uff01 \uff1f \uff0c '
                 '\uff0e \uff1a \uff1b \uff08 \uff09 \uff3b \uff3d \uff5b \uff5d \uff02 \uff07 \uff03 \uff04 \uff05 '
                 '\uff06 \uff0a \uff0b \uff0d \uff0f \uff1c \uff1d \uff1e \uff20 \uff3c \uff3e \uff3f \uff40 \uff5c '
                 '\uff5e \u061f \u060c \u061b \u0964 \u0965 \u1362 \u1363 \u17d5 \u17d4 \u10fb \u2010 \u2011 \u2012 '
                 '\u2042 \u2047 \u2048 \u2049 \u2e2e \u2e40 \ua4fe \ua4ff \uff61 \uff62 \uff63 \uff64 \uff65 \u00b2 '
                 '\u00bd \u2153 \u2160 \u2460 \u24b6 \u3251 \U0001f4a9 \u058a \u05be \u05c3 \u0f0b \u0f14 \u166d '
                 '\U000111c9 \u2e3a \u2e3b \u301d \u301e \u30a0 \ufe4f \ufe58 \ufe63 \uff5f \uff60').split()

    def punct():
        for c in ASCII_PUNCT:
            p = C(c)
            corpus.extend([p, 'a' + p + 'b', p * 3, 'word' + p, p + 'word', '1' + p + '2', 'a ' + p + ' b',
                           'Caf\u00e9' + p + '\u00e9t\u00e9', '\u4e2d' + p + '\u6587', '[CLS]' + p, p + '[SEP]'])
        corpus.add(''.join(C(c) for c in ASCII_PUNCT))
        corpus.add(' '.join(C(c) for c in ASCII_PUNCT))
        corpus.add('x'.join(C(c) for c in ASCII_PUNCT))
        for p in UNI_PUNCT:
            corpus.extend([p, 'a' + p + 'b', 'word' + p + 'word', '5' + p, p + '2020', 'a ' + p + ' b'])
        corpus.add(''.join(UNI_PUNCT))
        corpus.extend(['\u00bfQu\u00e9 tal?', '\u00a1Hola!', '\u00ab\u00a0Bonjour\u00a0\u00bb', 'Wait\u2026what\u203d',
                       '\u00a92024 Acme\u2122', '\u20ac10,50', '$10.50', 'e-mail', 'C++ & C#', 'a<b>c', 'x^2+y^2=z^2',
                       'pipe|tilde~back`tick', 'snake_case_name', "it's", 'U.S.A.', '3.14159', '1,000,000',
                       'http://example.com/path?q=1&r=2#frag', 'user@example.org', '#hashtag @mention',
                       '\u2014em\u2014dash\u2014', '\u201cquoted\u201d \u2018single\u2019', '...', '?!?!', '--->'])
        ps = [cp for k in sorted(cats) if k[0] in 'PS' for cp in cats[k]]
        for _ in range(300):
            x = rstr(ps, 1, 3)
            corpus.add(rng.choice(contexts)(x))
        for _ in range(60):
            corpus.add(' '.join(rng.choice([rword(), rstr(ps, 1, 2), rword() + rstr(ps, 1, 1) + rword()])
                                for _ in range(rng.randint(2, 8))))
    section('punctuation/symbols', punct)

    # ---- 5. accents in every script ----------------------------------------------------------
    def accents():
        fixed = [
            'caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade \u00c5ngstr\u00f6m \u00d8resund \u0141\u00f3d\u017a S\u00e3o Paulo M\u00fcller Stra\u00dfe cr\u00e8me br\u00fbl\u00e9e pi\u00f1ata co\u00f6perate',
            '\u00c9COLE \u00c0\u00c9\u00ce\u00d5\u00dc \u00c1\u00c9\u00cd\u00d3\u00da\u00dd \u0176\u0174',
            'cafe\u0301 nai\u0308ve re\u0301sume\u0301 (decomposed)', 'e\u0301 vs \u00e9', 'E\u0301COLE',
            '\u1e00\u1e01\u1e02\u1e03\u1e08\u1e09 \u1ea0\u1ea1\u1ebc\u1ebd \u01c5 \u01c8 \u01cb \u01f2 \u0132\u0133 \u0152\u0153 \u00c6\u00e6',
            '\ufb01nance \ufb02ow \ufb00 \ufb03 \ufb04 \ufb05 \ufb06 (ligatures)',
            '\u1f08\u03b8\u1fc6\u03bd\u03b1\u03b9 \u1f04\u03bd\u03b8\u03c1\u03c9\u03c0\u03bf\u03c2 \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u0386\u0388\u0389\u038a\u038c\u038e\u038f \u0390 \u03b0',
            '\u0399\u03bf\u03c5\u03bb\u03af\u03bf\u03c5 \u03ca\u03cb \u1fb3\u1fc3\u1ff3 \u1f88\u1f98\u1fa8 \u1ffc',
            '\u0419\u043e\u0448\u043a\u0430\u0440-\u041e\u043b\u0430 \u0451\u043b\u043a\u0430 \u0401 \u0439 \u0407 \u0457 \u045e \u0403 \u040c \u043c\u043e\u043b\u043e\u043a\u043e\u0301',
            '\u041c\u043e\u0441\u043a\u0432\u0430\u0301 \u2014 \u0441\u0442\u043e\u043b\u0438\u0301\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0301\u0438',
            'Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u: Nguy\u1ec5n, H\u1ed3 Ch\u00ed Minh, \u1edf \u0111\u00e2y, C\u1eeda Vi\u1ec7t, \u0111\u01b0\u1ee3c',
            'Ti\u00ea\u0301ng Vi\u00ea\u0323t (decomposed Vietnamese)',
            '\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627 \u0628\u0650\u0643\u064f\u0645\u0652',
            '\u0627\u0644\u0644\u0651\u064f\u063a\u064e\u0629\u064f \u0627\u0644\u0652\u0639\u064e\u0631\u064e\u0628\u0650\u064a\u0651\u064e\u0629\u064f',
            '\u0634\u0643\u0631\u0627\u064b \u0640\u0640 \u0623\u0625\u0622 \u0624\u0626 \u0671 \u06cc\u06a9',
            '\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd \u05e2\u05d5\u05b9\u05dc\u05b8\u05dd', '\u05d1\u05bc\u05b0\u05e8\u05b5\u05d0\u05e9\u05c1\u05b4\u05d9\u05ea',
            '\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd', '\ufb2a\ufb2b\ufb4b (Hebrew presentation forms)',
            '\u0928\u092e\u0938\u094d\u0924\u0947 \u0939\u093f\u0928\u094d\u0926\u0940 \u0958 \u0959 \u095a',
            '\u0938\u0902\u0938\u094d\u0915\u0943\u0924\u092e\u094d', '\u0915\u093c \u0916\u093c \u0917\u093c (nukta)',
            '\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a \u0e19\u0e49\u0e33 \u0e17\u0e35\u0e48\u0e19\u0e35\u0e48',
            '\u09ac\u09be\u0982\u09b2\u09be \u09ad\u09be\u09b7\u09be', '\u0ba4\u0bae\u0bbf\u0bb4\u0bcd', '\u0c24\u0c46\u0c32\u0c41\u0c17\u0c41',
            '\u0d2e\u0d32\u0d2f\u0d3e\u0d33\u0d02', '\u0f56\u0f7c\u0f51\u0f0b\u0f61\u0f72\u0f42\u0f0b', '\u1019\u103c\u1014\u103a\u1019\u102c',
            '\u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8 \u0570\u0561\u0575\u0565\u0580\u0565\u0576 \u12a0\u121b\u122d\u129b',
            '\u1781\u17d2\u1798\u17c2\u179a \u0eaa\u0eb0\u0e9a\u0eb2\u0e8d\u0e94\u0eb5',
        ]
        corpus.extend(fixed)
        marks = list(range(0x0300, 0x0370))
        bases = {
            'latin': list(range(0x41, 0x5B)) + list(range(0x61, 0x7B)) + list(range(0xC0, 0x100)) + list(range(0x100, 0x180)) + list(range(0x1E00, 0x1F00)),
            'greek': list(range(0x391, 0x3AA)) + list(range(0x3AC, 0x3CF)) + list(range(0x1F00, 0x1FFD)),
            'cyrillic': list(range(0x400, 0x530)),
            'vietnamese': [ord(c) for c in 'a\u0103\u00e2e\u00eaio\u00f4\u01a1u\u01b0y\u0111AEIOU\u0110'] + list(range(0x1EA0, 0x1EFA)),
            'arabic': list(range(0x621, 0x64B)) + list(range(0x64B, 0x653)) + [0x670, 0x6cc, 0x6a9],
            'hebrew': list(range(0x5D0, 0x5EB)) + list(range(0x5B0, 0x5BE)) + [0x5C1, 0x5C2, 0x5C7],
            'devanagari': list(range(0x900, 0x980)),
            'thai': list(range(0xE01, 0xE3B)) + list(range(0xE40, 0xE4F)),
            'bengali': list(range(0x980, 0xA00)),
            'tamil': list(range(0xB80, 0xC00)),
        }
        gcats = sorted(bases)
        for g in gcats:
            pool = [cp for cp in bases[g] if unicodedata.category(C(cp)) != 'Cn']
            for _ in range(45):
                words = []
                for _ in range(rng.randint(1, 5)):
                    w = rstr(pool, 1, 9)
                    if g in ('latin', 'greek', 'cyrillic') and rng.random() < 0.4:
                        w = ''.join(ch + (C(pick(marks)) if rng.random() < 0.3 else '') for ch in w)
                    words.append(w)
                corpus.add(' '.join(words))
        for _ in range(40):  # NFC/NFD variants of real accented words
            s = rng.choice(fixed)
            corpus.add(unicodedata.normalize(rng.choice(['NFD', 'NFC', 'NFKC', 'NFKD']), s))
    section('accents', accents)

    # ---- 6. combining marks, stacked ----------------------------------------------------------
    def combining():
        comb = list(range(0x300, 0x370)) + list(range(0x1AB0, 0x1ABF)) + list(range(0x1DC0, 0x1E00)) + \
            list(range(0x20D0, 0x20F1)) + list(range(0xFE20, 0xFE30))
        comb = [c for c in comb if unicodedata.category(C(c)) in ('Mn', 'Me')]
        corpus.extend(['Z\u0337\u0322\u031b\u032a\u034e\u0332\u034d\u032d\u0344\u0306\u0300\u0344\u0351a\u0335\u0303l\u0334g\u0337o\u0336',
                       '\u0301', '\u0301\u0301\u0301', ' \u0301a', '\u0301abc', 'a \u0301', '(\u0301)', '1\u20e3 #\u20e3 *\u20e3',
                       'a\u20dd b\u20de c\u20df', '\u4e2d\u0301\u6587', '[CLS]\u0301', '\u0301[SEP]', 'x\u0345y', '\u0e01\u0e34\u0e4d\u0e4e'])
        for _ in range(160):
            base = rng.choice([rword(1, 1), C(rng.randint(0x391, 0x3A9)), C(rng.randint(0x410, 0x44F)), '\u4e00',
                               '!', ' ', '1', C(rng.randint(0xAC00, 0xD7A3)), C(rng.randint(0x3041, 0x3096))])
            word = ''.join(b + rstr(comb, 0, rng.choice([1, 3, 8, 20])) for b in base + rword(0, 6))
            corpus.add(rng.choice(contexts)(word))
    section('combining marks', combining)

    # ---- 7. CJK ranges and boundaries ---------------------------------------------------------
    def cjk():
        bounds = [0x4E00, 0x9FFF, 0x3400, 0x4DBF, 0x20000, 0x2A6DF, 0x2A700, 0x2B73F, 0x2B740, 0x2B81F,
                  0x2B820, 0x2B91F, 0x2B920, 0x2CEAF, 0xF900, 0xFAFF, 0x2F800, 0x2FA1F, 0x30000, 0x3134A,
                  0x31350, 0x2EBF0, 0x2EE5D, 0x3000, 0x303F, 0x3040, 0xFF00, 0xFFEF, 0x2E80, 0x2F00, 0x2FDF,
                  0x3100, 0x31C0, 0x3200, 0x3300, 0xFE30, 0x1B000]
        cps = []
        for b in bounds:
            for d in (-1, 0, 1):
                if is_scalar(b + d) and b + d not in cps:
                    cps.append(b + d)
        for cp in cps:
            x = C(cp)
            corpus.extend(['a' + x + 'b', x, x + x, 'abc' + x + 'def', '\u4e2d' + x + '\u6587', x + ' ' + x, '[CLS]' + x,
                           'caf\u00e9' + x, x + '123'])
        corpus.add(''.join(C(cp) for cp in cps))
        gap = list(range(0x2B820, 0x2B920))
        corpus.add('x'.join(C(c) for c in gap[::8]))
        for _ in range(20):
            corpus.add(''.join(C(pick(gap)) for _ in range(rng.randint(1, 5))) + 'abc')
        ranges = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
                  (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]
        for _ in range(220):
            lo, hi = rng.choice(ranges)
            run = ''.join(C(rng.randint(lo, hi)) for _ in range(rng.randint(1, 12)))
            corpus.add(rng.choice([run, rword() + run + rword(), run + ' ' + rword(), '\u300c' + run + '\u300d\u3002']))
        corpus.extend(['\u4f60\u597d\u4e16\u754c', '\u6211\u60f3\u5728apple\u5de5\u4f5c1314151\u5929\uff5e',
                       '\u4eca\u5929\u5929\u6c14\u5f88\u597d\uff0c\u6211\u4eec\u53bb\u516c\u56ed\u5427\u3002',
                       '\u7e41\u9ad4\u4e2d\u6587\u8207\u7b80\u4f53\u4e2d\u6587', '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002',
                       '\uf900\uf901\uf902 \ufa0e\ufa0f \ufa70 \ufad9 (compatibility ideographs)', '\U0002f800\U0002f801\U0002fa1d',
                       '\u2e80\u2f00\u2f01\u2fd5 (radicals)', '\u3105\u3106\u3107 (bopomofo)', '\u3231\u32a4\u3300\u33a1 (enclosed/squared)',
                       '\uff21\uff22\uff23 \uff41\uff42\uff43 \uff11\uff12\uff13 (fullwidth)', '\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d\u5341'])
    section('CJK', cjk)

    # ---- 8. Hangul, Japanese ------------------------------------------------------------------
    def hangul_kana():
        corpus.extend(['\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4', '\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\uc785\ub2c8\ub2e4.',
                       '\u1112\u1161\u11ab\u1100\u1173\u11af (conjoining jamo)', '\u314e\u314f\u3134 (compatibility jamo)',
                       '\uffbe\uffc2 (halfwidth jamo)', '\ua960\ua97c \ud7b0\ud7fb (jamo extended)', '\uac00 \ud7a3 \uac00\ud7a3',
                       '\u3072\u3089\u304c\u306a \u30ab\u30bf\u30ab\u30ca \uff76\uff80\uff76\uff85', '\u30ac\u30ae\u30b0\u30b2\u30b4 \u30d1\u30d4\u30d7\u30da\u30dd',
                       '\u304b\u3099 \u30cf\u309a (kana + combining voiced marks)', '\uff76\uff9e\uff8a\uff9f (halfwidth voiced)',
                       '\u30fc\u30fd\u30fe\u309d\u309e', '\u3094\u30f4\u30f7\u30fa', '\U0001b000\U0001b001 (kana supplement)',
                       '\u6771\u4eac\u30bf\u30ef\u30fc\u306b\u884c\u304d\u307e\u3057\u305f\u3002'])
        syl = list(range(0xAC00, 0xD7A4))
        jamo = list(range(0x1100, 0x1200)) + list(range(0x3131, 0x318F))
        hira = [c for c in range(0x3041, 0x30A0) if unicodedata.category(C(c)) != 'Cn']
        kata = [c for c in range(0x30A0, 0x3100)] + list(range(0xFF65, 0xFFA0))
        for _ in range(70):
            corpus.add(' '.join(rstr(syl, 1, 6) for _ in range(rng.randint(1, 5))))
        for _ in range(25):
            corpus.add(rstr(jamo, 1, 8) + rng.choice(['', ' ', 'a']) + rstr(syl, 0, 3))
        for _ in range(70):
            corpus.add(''.join(rng.choice([rstr(hira, 1, 5), rstr(kata, 1, 5), C(rng.randint(0x4E00, 0x9FFF)),
                                            '\u3002', '\u3001', rword(1, 4)]) for _ in range(rng.randint(1, 7))))
    section('Hangul/kana', hangul_kana)

    # ---- 9. emoji --------------------------------------------------------------------------
    def emoji():
        fixed = ['\U0001f600', '\U0001f999 llama', '\U0001f44d\U0001f3fd', '\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466',
                 '\U0001f3f3\ufe0f\u200d\U0001f308', '\U0001f469\U0001f3fd\u200d\U0001f4bb', '\U0001f1fa\U0001f1f8 \U0001f1ef\U0001f1f5 \U0001f1e9\U0001f1ea',
                 '\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f', '1\ufe0f\u20e3 #\ufe0f\u20e3', '\u2764\ufe0f \u2764\ufe0e \u2764',
                 '\U0001f972 \U0001fae0 \U0001fae8', 'I \u2764\ufe0f NY', 'good\U0001f44dwork', '\U0001f680 (normal) \U0001f636\u200d\U0001f32b\ufe0f (multiple)',
                 '\U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1', '\U0001f1e6', '\U0001f3fb', 'x\U0001f3ffy', '\u263a\u2639\u2620\u2622',
                 '\U0001f004\U0001f0cf\U0001f170\U0001f17e\U0001f17f', '\U0001f46e\u200d\u2640\ufe0f', '\U0001f441\ufe0f\u200d\U0001f5e8\ufe0f']
        corpus.extend(fixed)
        emo = [c for r in [(0x1F300, 0x1F5FF), (0x1F600, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F900, 0x1F9FF),
                           (0x1FA70, 0x1FAFF), (0x2600, 0x27BF)] for c in range(r[0], r[1] + 1)
               if unicodedata.category(C(c)) != 'Cn']
        tones = list(range(0x1F3FB, 0x1F400))
        ri = list(range(0x1F1E6, 0x1F200))
        for _ in range(150):
            parts = []
            for _ in range(rng.randint(1, 5)):
                k = rng.random()
                if k < 0.3:
                    parts.append(C(pick(emo)) + C(pick(tones)))
                elif k < 0.5:
                    parts.append('\u200d'.join(C(pick(emo)) for _ in range(rng.randint(2, 4))))
                elif k < 0.65:
                    parts.append(C(pick(ri)) + C(pick(ri)))
                elif k < 0.8:
                    parts.append(C(pick(emo)) + '\ufe0f')
                else:
                    parts.append(rword() + C(pick(emo)))
            corpus.add(rng.choice(['', ' ']).join(parts))
    section('emoji', emoji)

    # ---- 10. special casing -------------------------------------------------------------------
    def casing():
        corpus.extend(['\u0130', '\u0130stanbul', 'D\u0130YARBAKIR', '\u0131\u0130iI', 'stra\u00dfe STRASSE \u1e9e',
                       '\u0149', '\u01f0', '\u0390 \u03b0 \u0587', '\u03a3\u0391\u03a3', '\u039f\u0394\u039f\u03a3', '\u03a3\u0391\u03a3 \u03a3\u0391\u03a3.',
                       '\u1f88\u1f89\u1faf \u1fbc \u1fcc \u1ffc', '\u1e96\u1e97\u1e98\u1e99\u1e9a', '\u212a\u212b\u2126 (Kelvin Angstrom Ohm)',
                       '\u01c4\u01c5\u01c6 \u01c7\u01c8\u01c9 \u01ca\u01cb\u01cc \u01f1\u01f2\u01f3', '\u0130' * 3 + 'x', 'I\u0307', '\u03c2\u03c3\u03a3',
                       '\u13a0\u13a1\u13f5 \uab70\uab71 (Cherokee)', '\u10a0\u10c5 \u2d00\u2d25 \u1c90\u1cbf (Georgian)',
                       '\u0100\u0101\u0178\u00ff\u0178', '\u1e9e\u00df', '\u0345\u0399', '\u2c65\u023a\u2c66\u023e',
                       '\u1d7f \ua7ae \u026a \ua7c0\ua7c1', '\U00010400\U00010428 (Deseret)', '\U000104b0\U000104d8 (Osage)',
                       '\U0001e900\U0001e922 (Adlam)', '\U00010570\U00010597 (Vithkuqi)', '\U00016e40\U00016e60 (Medefaidrin)',
                       '\u2160\u2170 \u24b6\u24d0 (numbers/circled)', '\uff21\uff41', '\U0001d400\U0001d41a (math bold)'])
        spec = [0x130, 0xDF, 0x149, 0x1F0, 0x390, 0x3B0, 0x587, 0x1E96, 0x1E97, 0x1E98, 0x1E99, 0x1E9A, 0x1E9E,
                0x1F50, 0x1F88, 0x1FB3, 0x1FBC, 0xFB00, 0xFB01, 0xFB13, 0x3A3, 0x3C2, 0x212A, 0x212B, 0x2126, 0x131,
                0x1C5, 0x1C8, 0x1CB, 0x1F2, 0x345, 0x1E9B, 0x17F, 0x3D0, 0x3F4, 0x1C90, 0x13A0, 0xAB70]
        for _ in range(80):
            corpus.add(''.join(rng.choice([C(pick(spec)), rword(1, 3).upper(), rword(1, 3), ' '])
                               for _ in range(rng.randint(1, 8))))
    section('special casing', casing)

    # ---- 11. assigned after Unicode 8.0, unassigned, private use, noncharacters ----------------
    def newer():
        post8 = [cp for lo, hi in POST_8_RANGES for cp in range(lo, hi + 1) if unicodedata.category(C(cp)) != 'Cn']
        post8 += POST_14_CPS
        for lo, hi in POST_8_RANGES:
            cps = [cp for cp in range(lo, hi + 1) if unicodedata.category(C(cp)) != 'Cn']
            if cps:
                corpus.add(''.join(C(c) for c in cps[:12]))
        for _ in range(200):
            x = rstr(post8, 1, 6)
            corpus.add(rng.choice(contexts)(x))
        for cp in [0x1E944, 0x1E94A, 0x1E95E, 0x2E43, 0x2E49, 0x2E4F, 0x2E52, 0x11C41, 0x08D4, 0x0D00, 0x0D3B,
                   0x13430, 0x0890, 0x110CD, 0x11938, 0x16D68, 0x111C9, 0x166D, 0x1734, 0x1885, 0x1886, 0xA9BD,
                   0x1C90, 0x104B0, 0x1E900, 0x10570, 0xA7C0, 0x10D50, 0x30000, 0x31350, 0x2EBF0, 0x1FAE8]:
            corpus.extend(in_contexts(C(cp), 5))
        cn = cats['Cn']
        corpus.extend(['a\u0378b', '\u0378', '\u2065', 'x\u2fffy', '\U0001ffffz', '\U000effff', '\U0010ffff', '\ufdd0\ufdef',
                       'a\ufffeb\uffffc', '\U0001fffe\U0002ffff'])
        for _ in range(100):
            corpus.add(rng.choice(contexts)(rstr(cn, 1, 4)))
        pua = [0xE000, 0xE001, 0xF8FF, 0xF0000, 0xFFFFD, 0x100000, 0x10FFFD]
        for p in pua:
            corpus.extend(in_contexts(C(p), 6))
        for _ in range(30):
            corpus.add(rword() + ''.join(C(rng.choice([rng.randint(0xE000, 0xF8FF), rng.randint(0xF0000, 0xFFFFD),
                                                        rng.randint(0x100000, 0x10FFFD)])) for _ in range(rng.randint(1, 3))) + rword())
    section('newer/unassigned/private', newer)

    # ---- 12. random code points from all planes ----------------------------------------------
    def random_cps():
        for i in range(400):
            s = []
            for _ in range(rng.randint(1, 12)):
                if i % 2 == 0:
                    plane = rng.randint(0, 16)
                    cp = plane * 0x10000 + rng.randint(0, 0xFFFF)
                else:
                    cp = rng.randint(0, 0x10FFFF)
                if 0xD800 <= cp <= 0xDFFF:
                    cp -= 0x800
                s.append(C(cp))
                if rng.random() < 0.2:
                    s.append(' ')
            corpus.add(''.join(s))
        bmp = [cp for cp in range(0x80, 0x10000) if not (0xD800 <= cp <= 0xDFFF)]
        for _ in range(200):
            corpus.add(' '.join(rstr(bmp, 1, 5) for _ in range(rng.randint(1, 4))))
    section('random code points', random_cps)

    # ---- 13. word lengths around the 100-character limit -------------------------------------
    def lengths():
        for n in (1, 2, 50, 98, 99, 100, 101, 102, 150, 200, 1000):
            corpus.add('a' * n)
            corpus.add(''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(n)))
            corpus.add('x ' + ''.join(rng.choice('bcdfghjklmnpqrstvwxz') for _ in range(n)) + ' y')
        for n in (99, 100, 101, 150):
            corpus.add('\u00e9' * n)                               # precomposed: n code points in every mode
            corpus.add('e\u0301' * (n // 2) + 'e' * (n % 2))     # decomposed: n raw, ~n/2 after strip
            corpus.add('e\u0301' * n)                              # 2n raw, n after strip (uncased)
            corpus.add('\u00c9' * n)
            corpus.add('\u0130' * n)                               # 2 code points each when lowercased w/o strip
            corpus.add('word ' + 'ab\u00e7d' * (n // 4) + 'x' * (n % 4) + ' end')
            corpus.add('\u0430' * n)
            corpus.add('a' * (n - 1) + '\u200b' + 'b')           # cleaned char inside the word
            corpus.add('a' * (n - 1) + '\u00ad' + 'b')
            corpus.add('a' * n + ',' + 'b' * n)                   # punctuation splits the word
            corpus.add('a' * n + '\u4e00' + 'b' * 5)
        for n in (33, 34, 50, 99, 100, 101):                       # Hangul: NFD gives 2-3 jamo per syllable
            corpus.add('\ud55c' * n)                               # 3 jamo each
            corpus.add('\ud558' * n)                               # 2 jamo each
            corpus.add(''.join(C(rng.randint(0xAC00, 0xD7A3)) for _ in range(n)))
        for n in (98, 99, 100, 101):
            corpus.add('\u0cb0' * n)  # Kannada letter (no decomposition)
            corpus.add('x' + '\u0301' * (n - 1))
            corpus.add('\U0001f600' * n)  # astral: n code points, 4n bytes
        for n in (509, 510, 511, 512, 513, 600):                    # exactly-at-truncation token counts
            corpus.add(' '.join(['a'] * n))
            corpus.add(' '.join(['the'] * n))
        corpus.add(' '.join(['[MASK]'] * 520))
        corpus.add('\u4e00' * 530)
    section('word lengths', lengths)

    # ---- 14. literal special tokens ----------------------------------------------------------
    def specials():
        sp = ['[CLS]', '[SEP]', '[MASK]', '[PAD]', '[UNK]']
        fixed = ['[CLS]', '[SEP]', '[MASK]', '[PAD]', '[UNK]', '[CLS] hello [SEP]', 'hello[SEP]world', '[MASK]ed', 'un[UNK]known',
                 '[PAD][PAD]', '[cls]', '[Cls]', '[ CLS ]', '[CLS', 'CLS]', '[[CLS]]', '[SE\u0000P]', '[SE\u200bP]', '[SE\u00adP]',
                 '[\uff23\uff2c\uff33]', '\uff3bCLS\uff3d', '[unused1]', '[unused0] [unused98]', '[CLS][SEP][MASK][PAD][UNK]',
                 'The capital of France is [MASK].', '[MASK] [MASK] [MASK]', 'a[MASK]b', '\u00e9[MASK]\u00e9', '\u4e2d[MASK]\u6587',
                 '[MASK]\u0301', '\u200b[MASK]\u200b', '[MASK\u200b]', '[MA SK]', '[mask]', '[MASK ]', ' [SEP] ', '\t[CLS]\n',
                 '[CLS]' * 10, '[SEP]x' * 5, '##', '##ing', 'play ##ing', '[UNK][UNK]', 'CLS SEP MASK PAD UNK',
                 '<s> </s> <pad> <unk> <mask>', '[CLS]\u0000[SEP]', '[[SEP]', '[SEP]]', '[C\u0301LS]']
        corpus.extend(fixed)
        for _ in range(120):
            parts = []
            for _ in range(rng.randint(2, 8)):
                k = rng.random()
                if k < 0.35:
                    parts.append(rng.choice(sp))
                elif k < 0.45:
                    t = rng.choice(sp)
                    parts.append(rng.choice([t.lower(), t.title(), t[:-1], t[1:], t[:3] + '\u0000' + t[3:]]))
                else:
                    parts.append(rng.choice([rword(), rword().upper(), 'caf\u00e9', '\u4e2d\u6587', '.', ',', '\u00e9']))
            corpus.add(rng.choice(['', ' ']).join(parts))
    section('special tokens', specials)

    # ---- 15. mixed-script random strings -----------------------------------------------------
    pools = {
        'latin': list(range(0x41, 0x5B)) + list(range(0x61, 0x7B)) + list(range(0xC0, 0x180)),
        'greek': list(range(0x391, 0x3CA)), 'cyrillic': list(range(0x410, 0x460)),
        'arabic': list(range(0x621, 0x653)), 'hebrew': list(range(0x5B0, 0x5EB)), 'devanagari': list(range(0x900, 0x970)),
        'thai': list(range(0xE01, 0xE5B)), 'cjk': list(range(0x4E00, 0x9FFF)), 'hangul': list(range(0xAC00, 0xD7A4)),
        'kana': list(range(0x3041, 0x30FF)), 'digits': list(range(0x30, 0x3A)) + list(range(0x660, 0x66A)) + list(range(0xFF10, 0xFF1A)),
        'punct': ASCII_PUNCT + [0xA1, 0xBF, 0x2014, 0x2026, 0x3001, 0x3002, 0xFF01], 'space': [0x20, 0x20, 0x20, 0x0A, 0x09, 0xA0, 0x3000],
        'emoji': list(range(0x1F600, 0x1F650)), 'marks': list(range(0x300, 0x370)),
        'odd': [0x0, 0x200B, 0xFEFF, 0x2060, 0xAD, 0xFFFD, 0x85, 0x1F, 0x7F, 0xE000, 0x378],
    }
    pnames = sorted(pools)

    def mixed():
        for _ in range(700):
            chosen = rng.sample(pnames, rng.randint(2, 5))
            if 'space' not in chosen and rng.random() < 0.7:
                chosen.append('space')
            s = []
            for _ in range(rng.randint(3, 40)):
                g = rng.choice(chosen)
                s.append(rstr(pools[g], 1, 4 if g != 'space' else 1))
            corpus.add(''.join(s))
    section('mixed-script', mixed)

    # ---- 16. real sentences -------------------------------------------------------------------
    real = {}

    def real_sentences():
        sts = []
        for fn in ('sts-train.csv', 'sts-dev.csv', 'sts-test.csv'):
            with open(os.path.join(a.data, 'stsbenchmark', fn), encoding='utf-8', newline='') as f:
                for line in f.read().split('\n'):
                    p = line.rstrip('\r').split('\t')
                    if len(p) >= 7:
                        sts += [p[5], p[6]]
        ag_t, ag_d = [], []
        with open(os.path.join(a.data, 'ag_news', 'test.csv'), encoding='utf-8', newline='') as f:
            for row in csv.reader(f):
                ag_t.append(row[1])
                ag_d.append(row[2])
        nf = []
        with open(os.path.join(a.data, 'nfcorpus', 'corpus.jsonl'), encoding='utf-8') as f:
            for line in f:
                d = json.loads(line)
                nf.append((d.get('title', ''), d.get('text', '')))
        wiki = []
        for fn in ('valid.txt', 'test.txt'):
            with open(os.path.join(a.data, 'wikitext-2', fn), encoding='utf-8', newline='') as f:
                wiki += [l for l in f.read().split('\n') if l.strip()]
        real.update(sts=sts, ag_t=ag_t, ag_d=ag_d, nf=nf, wiki=wiki)
        corpus.extend(rng.sample(sts, 1300))
        corpus.extend(rng.sample(ag_t, 450))
        corpus.extend(rng.sample(ag_d, 650))
        for t, x in rng.sample(nf, 280):
            corpus.add(x if rng.random() < 0.8 else t)
        short_wiki = [l for l in wiki if len(l) <= 1200]
        corpus.extend(rng.sample(short_wiki, 650))
        # real sentences with an odd character injected (realistic context for edge cases)
        odd = [0x0, 0x200B, 0xFEFF, 0xAD, 0xFFFD, 0x85, 0x130, 0x301, 0x4E00, 0x2B820, 0x1F600, 0x3000, 0x2028,
               0xE000, 0x378, 0x1E944, 0x2E43, 0x7F, 0x9C, 0x2060, 0x2019, 0x20AC]
        for _ in range(250):
            s = rng.choice(sts)
            i = rng.randint(0, len(s))
            corpus.add(s[:i] + C(pick(odd)) + s[i:])
        for _ in range(60):  # shuffled-case variants
            s = rng.choice(ag_t)
            corpus.add(''.join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in s))
    section('real sentences', real_sentences)

    # ---- 17. long texts (truncation) ----------------------------------------------------------
    def long_texts():
        def fill(src, n, sep=' '):
            out, total = [], 0
            while total < n:
                s = rng.choice(src)
                out.append(s)
                total += len(s) + len(sep)
            return sep.join(out)[:n]
        corpus.add(fill(real['sts'], 5000))
        corpus.add(fill(real['ag_d'], 12000))
        corpus.add(fill([x for _, x in real['nf']], 20000, '\n'))
        corpus.add(fill(real['wiki'], 50000, '\n'))
        corpus.add(fill(real['sts'], 30000))
        mix = []
        for _ in range(900):
            g = rng.choice(pnames)
            mix.append(rstr(pools[g], 1, 5 if g != 'space' else 1))
            if rng.random() < 0.5:
                mix.append(' ')
        corpus.add(''.join(mix)[:6000])
        corpus.add(''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(8000)))  # one 8000-char word
        corpus.add(''.join(C(rng.randint(0x4E00, 0x9FFF)) for _ in range(5000)))
    section('long texts', long_texts)

    # ---- write ----------------------------------------------------------------------------------
    lines = [json.dumps(t, ensure_ascii=True) for t in corpus.texts]
    data = ('\n'.join(lines) + '\n').encode('ascii')
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, 'wb') as f:
        f.write(data)
    for name, n in counts:
        print('  %-26s %5d' % (name, n), file=sys.stderr)
    print('make_corpus: %d texts, %d bytes -> %s' % (len(corpus.texts), len(data), a.out), file=sys.stderr)
    if len(data) > MAX_BYTES:
        print('make_corpus: warning: corpus is larger than %d bytes' % MAX_BYTES, file=sys.stderr)


if __name__ == '__main__':
    main()
