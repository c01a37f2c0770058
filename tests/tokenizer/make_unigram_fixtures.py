#!/usr/bin/python3
"""Unigram (SentencePiece, XLM-RoBERTa style) tokenizer.json fixtures and their expected tokens.

    /usr/bin/python3 tests/tokenizer/make_unigram_fixtures.py [--data /work/shared/data] [--out DIR]
                                                               [--keep-model DIR]

Needs:
  * Debian's python3-sentencepiece (0.1.97) for /usr/bin/python3: `apt-get install -y python3-sentencepiece`.
    Nothing else from Python (the ModelProto is parsed here by hand; sentencepiece_model_pb2 is
    only used, when it imports, as a cross-check of that parser).
  * node and the reference binding in $PEERS_NODE (default ~/.cache/embed-peers/node):
    `npm install --prefix ~/.cache/embed-peers/node @anush008/tokenizers@0.6.0`.
    tests/tokenizer/unigram_reference.js runs it.
  * /work/shared/data (or --data / $EMBED_SHARED_DATA): bert-base-multilingual-cased/vocab.txt,
    stsbenchmark/, ag_news/test.csv, wikitext-2/, nfcorpus/corpus.jsonl; and
    tests/fixtures/tokenizer/corpus.jsonl.

What it does (see tests/fixtures/tokenizer/unigram/README.md):
  1. Trains a SentencePiece unigram model (nmt_nfkc, 4000 pieces, one thread, no shuffling, fixed
     seed) on multilingual text into a temporary directory (kept with --keep-model DIR).
  2. Writes unigram/tokenizer.json as transformers' XLMRobertaConverter lays it out
     (<s> <pad> </s> <unk>, pieces[3:], <mask>; Precompiled nmt_nfkc charsmap + Replace " {2,}";
     Metaspace; TemplateProcessing) and unigram/tokenizer-wsplit.json (same vocab, no charsmap,
     WhitespaceSplit + old-style Metaspace); also tokenizer_config.json and
     special_tokens_map.json (XLMRobertaTokenizer), the side files of the xlmr test model.
  3. Builds the text set and encodes every text with both files through the HF Rust crate
     (node), without truncation: unigram/cases.jsonl.
  4. Cross-check only: encodes the texts with the sentencepiece library and prints how many
     differ from the crate (with examples).

Deterministic: running it twice gives byte-identical files.
"""
import argparse
import base64
import collections
import csv
import json
import math
import os
import random
import struct
import subprocess
import tempfile
import unicodedata

import sentencepiece as spm

from fixture_common import dump, fnv1a64_u32, long_text, read_lines

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = 20261207
SP_VOCAB_SIZE = 4000          # sentencepiece pieces; the tokenizer.json has SP_VOCAB_SIZE + 2 ids

# ---------------------------------------------------------------------------------------------
# ModelProto (protobuf wire format), parsed by hand.
#   ModelProto: 1 pieces (repeated SentencePiece), 3 normalizer_spec (NormalizerSpec)
#   SentencePiece: 1 piece (string), 2 score (float), 3 type (enum, default NORMAL = 1)
#   NormalizerSpec: 1 name (string), 2 precompiled_charsmap (bytes)
# ---------------------------------------------------------------------------------------------


def _varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def _fields(b):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError('unsupported wire type %d' % wt)
        yield num, wt, v


def parse_model(data):
    pieces, norm = [], {}
    for num, wt, v in _fields(data):
        if num == 1 and wt == 2:
            p = {'piece': '', 'score': 0.0, 'type': 1}
            for n2, w2, v2 in _fields(v):
                if n2 == 1:
                    p['piece'] = v2.decode('utf-8')
                elif n2 == 2 and w2 == 5:
                    p['score'] = struct.unpack('<f', v2)[0]
                elif n2 == 3:
                    p['type'] = v2
            pieces.append(p)
        elif num == 3 and wt == 2:
            for n2, w2, v2 in _fields(v):
                if n2 == 1:
                    norm['name'] = v2.decode('utf-8')
                elif n2 == 2:
                    norm['precompiled_charsmap'] = bytes(v2)
    return pieces, norm


# ---------------------------------------------------------------------------------------------
# Training text
# ---------------------------------------------------------------------------------------------

# The most frequent Chinese characters (simplified, then some traditional/Japanese forms): the
# CJK pieces. mBERT's vocab lists CJK characters in code point order, so it says nothing about
# their frequency.
HANZI = ('的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天'
         '而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高'
         '意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海'
         '口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神'
         '数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特'
         '觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领'
         '传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党'
         '倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单跑尔导器語東車長來時間國會學電話氣書說們門問見'
         '開關聞讀寫聽買賣飛機場愛業')
# script -> (words sampled from mBERT's vocab, characters allowed: that script's most frequent)
SCRIPTS = {'LATIN': (1500, 120), 'CYRILLIC': (1200, 100), 'GREEK': (600, 90), 'ARABIC': (700, 70),
           'HEBREW': (300, 50), 'DEVANAGARI': (500, 90), 'THAI': (370, 75), 'HANGUL': (600, 220),
           'HIRAGANA': (300, 80), 'KATAKANA': (300, 85), 'ARMENIAN': (200, 50), 'GEORGIAN': (200, 35),
           'BENGALI': (200, 80), 'TAMIL': (200, 65)}
NO_SPACE = ('THAI', 'HIRAGANA', 'KATAKANA')


def script(ch):
    s = unicodedata.name(ch, '').split(' ')[0]
    return 'KATAKANA' if s == 'KATAKANA-HIRAGANA' else s


def load_data(data):
    d = {}
    vocab = read_lines(os.path.join(data, 'bert-base-multilingual-cased', 'vocab.txt'))
    by = collections.defaultdict(set)
    for w in vocab:
        if w.startswith('##'):
            w = w[2:]
        if not w or w.startswith('['):
            continue
        s = script(w[0])
        if s not in SCRIPTS:
            continue
        if not all(script(c) == s or unicodedata.category(c) in ('Mn', 'Mc') for c in w):
            continue
        if s == 'LATIN' and w.isascii():
            continue
        by[s].add(w)
    d['words'] = {s: sorted(by[s]) for s in sorted(by)}
    sts = {}
    for fn in ('sts-dev.csv', 'sts-test.csv'):
        sts[fn] = []
        for line in read_lines(os.path.join(data, 'stsbenchmark', fn)):
            p = line.rstrip('\r').split('\t')
            if len(p) >= 7:
                sts[fn] += [p[5], p[6]]
    d['sts'] = sts
    with open(os.path.join(data, 'ag_news', 'test.csv'), encoding='utf-8', newline='') as f:
        rows = list(csv.reader(f))
    d['ag_t'] = [r[1] for r in rows]
    d['ag_d'] = [r[2] for r in rows]
    d['wiki'] = [l for l in read_lines(os.path.join(data, 'wikitext-2', 'valid.txt'))
                 if l.strip() and not l.strip().startswith('=')]
    d['nf'] = []
    with open(os.path.join(data, 'nfcorpus', 'corpus.jsonl'), encoding='utf-8') as f:
        for line in f:
            d['nf'].append(json.loads(line).get('text', ''))
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'tokenizer', 'corpus.jsonl'), encoding='utf-8') as f:
        d['corpus'] = [json.loads(line) for line in f]
    return d


def training_lines(d, rng):
    """Pseudo-sentences of mBERT vocab words per script (the scripts' most frequent characters
    only, so the alphabet stays small), the Chinese characters above, STS sentences, and the
    non-ASCII corpus.jsonl lines whose characters are all in that alphabet already."""
    lines, samples = [], {}
    for s in sorted(SCRIPTS):
        nw, nc = SCRIPTS[s]
        words = d['words'][s]
        cc = collections.Counter(c for w in words for c in w)
        keep = {c for c, _ in sorted(cc.items(), key=lambda x: (-x[1], x[0]))[:nc]}
        ws = [w for w in words if all(c in keep for c in w)]
        rng.shuffle(ws)
        ws = ws[:nw]
        samples[s] = ws
        for _ in range(3 if s == 'LATIN' else 6):
            ws2 = ws[:]
            rng.shuffle(ws2)
            i = 0
            while i < len(ws2):
                n = rng.randint(6, 14)
                lines.append(('' if s in NO_SPACE else ' ').join(ws2[i:i + n]))
                i += n
    hz = list(dict.fromkeys(HANZI))
    samples['CJK'] = hz
    for _ in range(40):
        rng.shuffle(hz)
        i = 0
        while i < len(hz):
            n = rng.randint(5, 12)
            lines.append(''.join(hz[i:i + n]))
            i += n
    lines += d['sts']['sts-dev.csv'] + d['sts']['sts-test.csv']
    alpha = set(unicodedata.normalize('NFKC', ''.join(lines)))
    lines += [c for c in d['corpus'] if c.strip() and not c.isascii() and len(c) <= 1000
              and set(unicodedata.normalize('NFKC', c)) <= alpha]
    return [l.replace('\r', ' ').replace('\n', ' ') for l in lines], samples


def train(d, workdir):
    rng = random.Random(SEED)
    lines, samples = training_lines(d, rng)
    txt = os.path.join(workdir, 'train.txt')
    with open(txt, 'w', encoding='utf-8', newline='\n') as f:
        f.write('\n'.join(lines) + '\n')
    spm.set_random_generator_seed(SEED)
    spm.SentencePieceTrainer.train(
        input=txt, model_prefix=os.path.join(workdir, 'unigram'), vocab_size=SP_VOCAB_SIZE,
        model_type='unigram', normalization_rule_name='nmt_nfkc', character_coverage=0.9995,
        input_sentence_size=0, shuffle_input_sentence=False, num_threads=1, minloglevel=2)
    return os.path.join(workdir, 'unigram.model'), samples, len(lines)


# ---------------------------------------------------------------------------------------------
# tokenizer.json (key order as the tokenizers crate 0.22 serialises it; checked by a round trip)
# ---------------------------------------------------------------------------------------------

def added(i, content, lstrip=False):
    return {'id': i, 'content': content, 'single_word': False, 'lstrip': lstrip, 'rstrip': False,
            'normalized': False, 'special': True}


def template():
    def sp(t):
        return {'SpecialToken': {'id': t, 'type_id': 0}}

    def seq(x):
        return {'Sequence': {'id': x, 'type_id': 0}}
    return {'type': 'TemplateProcessing',
            'single': [sp('<s>'), seq('A'), sp('</s>')],
            'pair': [sp('<s>'), seq('A'), sp('</s>'), sp('</s>'), seq('B'), sp('</s>')],
            'special_tokens': {'</s>': {'id': '</s>', 'ids': [2], 'tokens': ['</s>']},
                               '<s>': {'id': '<s>', 'ids': [0], 'tokens': ['<s>']}}}


def tokenizer_json(pieces, charsmap, wsplit):
    vocab = [['<s>', 0.0], ['<pad>', 0.0], ['</s>', 0.0], ['<unk>', 0.0]]
    vocab += [[p['piece'], p['score']] for p in pieces[3:]]
    vocab.append(['<mask>', 0.0])
    mask_id = len(vocab) - 1
    replace = {'type': 'Replace', 'pattern': {'Regex': ' {2,}'}, 'content': ' '}
    if wsplit:
        normalizer = {'type': 'Sequence', 'normalizers': [replace]}
        pre = {'type': 'Sequence', 'pretokenizers': [
            {'type': 'WhitespaceSplit'},
            {'type': 'Metaspace', 'replacement': '\u2581', 'add_prefix_space': True}]}
        decoder = {'type': 'Metaspace', 'replacement': '\u2581', 'add_prefix_space': True}
    else:
        normalizer = {'type': 'Sequence', 'normalizers': [
            {'type': 'Precompiled', 'precompiled_charsmap': base64.b64encode(charsmap).decode('ascii')},
            replace]}
        pre = {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always', 'split': True}
        decoder = dict(pre)
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [added(0, '<s>'), added(1, '<pad>'), added(2, '</s>'), added(3, '<unk>'),
                         added(mask_id, '<mask>', lstrip=True)],
        'normalizer': normalizer, 'pre_tokenizer': pre, 'post_processor': template(), 'decoder': decoder,
        'model': {'type': 'Unigram', 'unk_id': 3, 'vocab': vocab, 'byte_fallback': False},
    }


# ---------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------

def texts_for(d, samples, rng):
    T = []
    # -- NFKC: compatibility characters the charsmap rewrites --------------------------------
    T += [
        '\uff21\uff22\uff23 \uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff11\uff12\uff13',  # ＡＢＣ ｆｕｌｌｗｉｄｔｈ １２３
        '\uff28\uff45\uff4c\uff4c\uff4f\uff0c\uff57\uff4f\uff52\uff4c\uff44\uff01',  # Ｈｅｌｌｏ，ｗｏｒｌｄ！
        'price\uff1a\uff04\uff11\uff10\uff10\uff0e\uff15\uff10',
        '\ufb01nance \ufb02ow \ufb00 \ufb03 \ufb04 \ufb05 \ufb06',
        'of\ufb01ce e\ufb03cient \ufb02u\ufb00y',
        '\u2460\u2461\u2462 \u2469 \u2473 \u3251 \u32bf',
        'x\u00b2 y\u00b3 H\u2082O 10\u207b\u2076 \u00b9\u00b2\u00b3 n\u1d57\u02b0',
        '\uff76\uff9e\uff77\uff9e\uff78\uff9e \uff8a\uff9f\uff8b\uff9f\uff8c\uff9f \uff73\uff9e \uff71\uff72\uff73\uff74\uff75',
        '\uff83\uff9e\uff70\uff80\uff8d\uff9e\uff70\uff7d',  # ﾃﾞｰﾀﾍﾞｰｽ
        '\u30ab\u3099\u30cf\u309a \u304b\u3099',  # kana + combining voiced marks
        '\uff76\u3099 \uff8a\u309a',  # half-width kana + combining voiced marks
        '\u3131\u3134\u3137 \u314f\u3151 \u314e\u314f\u3134 \u3165\u3186',  # compatibility jamo
        '\uffa1\uffa4\uffa7 \uffc2\uffc3',  # half-width Hangul
        '\u1100\u1161\u11a8 \u1112\u1161\u11ab',  # conjoining jamo (compose under NFKC)
        '\u3300 \u3314 \u337f \u32d0 \u3231 \u337b',  # squared katakana, ㈱, ㍻
        '\u2122 \u2103 \u2109 \u2116 \u338f \u339e \u00bd \u00bc \u2153 \u216b \u217b',
        '\u212b \u212a \u2126 \u00b5 \u017f \u01c5 \u1e9b',
        'e\u0301 \u00e9 E\u0301 \u00c9 a\u030a \u00e5 \u212b',
        '\ufefb \ufdf2 \ufdfa',  # Arabic presentation forms (ﷺ expands to 18 characters)
        'a\ufdfab',
        '\u2026 \u2025 \u2024 \u2047 \u203c',
        '\uf900 \uf901 \u2f00 \u2f08 \u2e9f',  # compatibility ideographs, Kangxi radicals
        '\u3000\u65e5\u672c\u3000\uff08\u6771\u4eac\uff09',
        '\u00a8 \u00af \u00b4 \u00b8 \u02dc \u1fbd',  # spacing diacritics (NFKC: space + mark)
        '\u2474 \u2488 \u24b6 \u24d0 \U0001d400\U0001d41a \U0001d7d8',
        '\u00aa \u00ba \u2070 \u2080 \u1d2c',
        '\u0132sland \u01c4 \u01c6 \u01f1',
        '\ufe59\ufe5a \ufe10 \ufe30 \uff5f\uff60',
        '\u2002a\u2003b\u2009c\u200ad',
    ]
    # -- combining marks after characters the charsmap maps ---------------------------------
    T += [
        '\u2460\u0301', 'x\u2460\u0301y', '\ufb01\u0308', 'a\ufb01\u0308b', '\u212b\u0323', '\uff76\u0301',
        '\uff21\u0300 \uff41\u0308', '\u00bd\u0301', '\u2122\u0303', '\u3300\u0301', '\u00b2\u0301',
        '\u0301', '\u0301a', ' \u0301', 'a \u0301 b', 'e\u0301\u0301\u0301', '\ufdfa\u0301',
        'Mos\u0301cow \u041c\u043e\u0441\u043a\u0432\u0430\u0301',
        'Z\u0337\u0322\u031b\u032a\u034e a\u0335\u0303 l\u0334 g\u0337o\u0336',
        '\u3131\u0301\u314f', '\u1100\u0301\u1161',
    ]
    # -- whitespace and controls -------------------------------------------------------------
    ws = ['\t', '\n', '\r\n', '\r', '\u000b', '\u000c', '\u00a0', '\u3000', '\u2003', '\u200b', '\u00ad',
          '\u200c', '\u200d', '\ufeff', '\u2028', '\u2029', '\u0085', '\u202f', '\u205f', '\u2060', '\u1680',
          '\u180e', '\u0001', '\u0008', '\u001f', '\u007f', '\u0080', '\u009f', '\u200e', '\u202e', '\ufffd',
          '\ue000']
    for w in ws:
        T += ['a' + w + 'b', 'hello' + w + 'world', w, w + 'x' + w]
    T += ['', ' ', '  ', '     ', '\t', '\n', '\r\n', '\r\n\r\n', ' \t\n ', '\u3000\u3000', '\u00a0 \u00a0',
          '\u200b\u200b', '\u00ad', '\ufeff',
          'a  b', 'a   b', 'a    b', 'a     b', '  leading', 'trailing  ', '   both   ', ' x ',
          'one  two   three    four     five', 'tab\t\tdouble', 'mix \t \n  end', 'line1\r\nline2\r\n',
          'crlf\r\n\r\nblank', '\r\nstart', 'a \r\n b', 'a\n\nb', 'a\u00a0\u00a0b', 'a \u00a0 b', 'a\u3000 b',
          'a\u200b b', 'a \u200bb', 'soft\u00adhyphen', 'zero\u200bwidth\u200bspace', 'bom\ufeffinside',
          'zw\u200dj', 'zw\u200cnj']
    # -- unknown characters (no piece covers them) -------------------------------------------
    T += ['\U0001f600', '\U0001f600\U0001f600\U0001f600', 'abc\U0001f600def', 'a \U0001f600 b',
          'x\U0001f999\U0001f999\U0001f999y', '\U0001f999 \U0001f999', 'ok \U0001f44d\U0001f3fd',
          '\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family',
          '\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea flags', '\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f',
          '\u2603\ufe0f snow', '1\ufe0f\u20e3 keycap', '\U0001f600\u0301', '\U00010330\U00010331\U00010332 gothic',
          '\u16a0\u16a2\u16a6 runes', '\u13a3\u13b3\u13a9', '\u0f56\u0f7c\u0f51\u0f0b\u0f61\u0f72\u0f42',
          '\u0eaa\u0eb0\u0e9a\u0eb2\u0e8d\u0e94\u0eb5', '\u12a0\u121b\u122d\u129b', '\u1019\u103c\u1014\u103a',
          'mixed\u0f56known\u16a0', '\u9fa5\u9fa5 rare', '\U00020000\U0002a6d6', 'a\ue000b', '\U000f0000',
          '\u2639\u263a\u2665', '\u2190\u2192\u21d2', '\u2200\u2203\u2208\u221e']
    # -- special tokens typed in the text ----------------------------------------------------
    T += ['<s>', '</s>', '<mask>', '<pad>', '<unk>', '<MASK>', '<Mask>', '< mask >', '<mask', 'mask>',
          'a <mask> b', 'a<mask>b', 'a  <mask>  b', 'a\t<mask>\tb', 'a\u3000<mask>b', 'a\u00a0<mask>b',
          '<mask> at start', ' <mask> leading space', 'end <mask>', 'end<mask>', '<mask><mask>', '<mask> <mask>',
          'The capital of France is <mask>.', '<s>hello</s>', '<s> hello </s>', 'hello </s> <s> world',
          '</s></s>', 'x<pad>y', 'x <pad> y', 'unknown <unk> token', '<unk><unk>', '<<mask>>', '<s<s>>',
          '\uff1cmask\uff1e', '\uff1cs\uff1e', '<mask>\u0301', '\u00e9<mask>', '\U0001f600<mask>\U0001f600',
          '<mask>\r\n', '  <mask>', '<MASK> <Mask> <mask>']
    # -- long words ---------------------------------------------------------------------------
    T += ['Donaudampfschifffahrtsgesellschaftskapit\u00e4n', 'antidisestablishmentarianism',
          'pneumonoultramicroscopicsilicovolcanoconiosis', 'supercalifragilistic' * 5,
          ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(200)),
          ''.join(rng.choice(samples['CJK']) for _ in range(120)),
          '\u0434\u043e\u0441\u0442\u043e\u043f\u0440\u0438\u043c\u0435\u0447\u0430\u0442\u0435\u043b\u044c\u043d\u043e\u0441\u0442\u0438',
          '\u0928\u092e\u0938\u094d\u0924\u0947' * 20, 'a' * 300, '\u00e9' * 100, 'e\u0301' * 60,
          '\U0001f600' * 50, 'ab\U0001f600' * 30]
    # -- fixed multilingual sentences ------------------------------------------------------
    T += ['Hello world', 'Hello, world! How are you?', '\u00c7a va tr\u00e8s bien, merci. \u00dcber die Stra\u00dfe.',
          'Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u', '\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438',
          '\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03ba\u03b1\u03b9 \u1f08\u03b8\u1fc6\u03bd\u03b1\u03b9',
          '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645', '\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd',
          '\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e', '\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a',
          '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002', '\u6211\u4eec\u662f\u4e2d\u56fd\u4eba\u3002',
          '\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4.', '\u0540\u0561\u0575\u0565\u0580\u0565\u0576 \u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8',
          '\u09ac\u09be\u0982\u09b2\u09be \u09ad\u09be\u09b7\u09be', '\u0ba4\u0bae\u0bbf\u0bb4\u0bcd',
          'English \u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u65e5\u672c\u8a9e \u0627\u0644\u0639\u0631\u0628\u064a\u0629 mixed',
          'abc\u0430\u0431\u0432\u03b1\u03b2\u03b3', '123abc456', '3.14159 1,000,000 42%', 'e-mail: someone@example.com',
          'https://example.com/path?q=1&r=2', "It's ``quoted'' and \"double\"", 'C++ / C# / F#']
    # -- seeded random mixes -----------------------------------------------------------------
    words = {s: samples[s][:200] for s in sorted(samples)}
    scripts = sorted(words)
    unknown = ['\U0001f600', '\U0001f999', '\u0f56', '\u16a0', '\U00010330', '\u2603', '\u9fa5']
    seps = [' ', ' ', ' ', '', '  ', '\t', '\u00a0', '\u3000', '\n', '   ']
    compat = ('\uff21\uff41\uff11\uff01\ufb01\ufb02\u2460\u2461\u00b2\u2082\uff76\uff9e\uff8a\uff9f\u3131\u314f\u3300'
              '\u2122\u00bd\u212b\u00b5\u2026\uf900\u2f00\u00a8\u24b6\u01c4\ufefb')
    marks = ['\u0301', '\u0308', '\u0323', '\u3099', '\u309a', '\u0327']
    for _ in range(80):
        parts = []
        for _ in range(rng.randint(2, 6)):
            r = rng.random()
            if r < 0.7:
                parts.append(rng.choice(words[rng.choice(scripts)]))
            elif r < 0.8:
                parts.append(''.join(rng.choice(unknown) for _ in range(rng.randint(1, 3))))
            elif r < 0.9:
                parts.append(rng.choice(['<mask>', '<s>', '</s>', '<unk>', '<pad>']))
            else:
                parts.append(rng.choice(compat))
        s = parts[0]
        for p in parts[1:]:
            s += rng.choice(seps) + p
        T.append(s)
    for _ in range(40):
        s = ''
        for _ in range(rng.randint(1, 8)):
            r = rng.random()
            s += rng.choice(compat) if r < 0.5 else rng.choice('abcxyz ') if r < 0.8 else rng.choice(marks)
        T.append(s)
    # -- real lines ------------------------------------------------------------------------
    T += rng.sample(d['ag_t'], 50)
    T += rng.sample(d['ag_d'], 50)
    T += rng.sample([l for l in d['wiki'] if len(l) <= 600], 40)
    T += rng.sample([x for x in d['nf'] if 0 < len(x) <= 1200], 4)
    corpus = [c for c in d['corpus'] if 0 < len(c) <= 300 and '\x00' not in c]
    T += rng.sample(corpus, 60)
    T.append(' '.join(d['wiki'][:3]))  # a long text (over 512 tokens; no truncation here)
    # -- for the variant whose added tokens are matched after normalising (normalized_variant) --
    T += ['fix the \ufb01x: prefix fixes a  fix  b', '\uff26\uff29\uff38 fix\t\ufb01x\u3000fix', '\ufb01x',
          'a<mask>b a <mask>  b \uff1cmask\uff1e a\u3000<mask> \uff1c\uff4d\uff41\uff53\uff4b\uff1e\u3000x',
          'fi\u0301x \ufb01\u0301x f\u200bix']
    out = list(dict.fromkeys(T))
    for s in out:
        s.encode('utf-8')  # raises on lone surrogates
        assert '\x00' not in s
    return out


# ---------------------------------------------------------------------------------------------

LONG_TEXTS = (  # (name, which case texts, length in bytes to reach)
    ('mixed', lambda t: '<' not in t, 300000),
    ('no_ascii_letters', lambda t: '<' not in t and not any(c.isascii() and c.isalnum() for c in t), 200000),
)


def normalized_variant(doc, n_ids):
    """tokenizer.json with its added tokens matched in the normalised text: <mask> marked
    "normalized": true (as some older XLM-R files have it), and a new added token "\ufb01x"
    (normalised: "fix", rstrip, id n_ids).  test_tokenizer_parity.c makes the same edits."""
    d = json.loads(json.dumps(doc))
    for t in d['added_tokens']:
        if t['content'] == '<mask>':
            t['normalized'] = True
    d['added_tokens'].append({'id': n_ids, 'content': '\ufb01x', 'single_word': False, 'lstrip': False,
                              'rstrip': True, 'normalized': True, 'special': False})
    return d


PRE_TOKENIZER_VARIANTS = (  # the Metaspace settings tokenizer.json does not use, each on VARIANT_TEXTS
    ('first', {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'first', 'split': True}),
    ('never', {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'never', 'split': True}),
    ('no_split', {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always', 'split': False}),
    # both fields, as the crate writes them back (add_prefix_space false alone it refuses:
    # "add_prefix_space does not match declared prepend_scheme"; we read it as "never")
    ('both_fields_never', {'type': 'Metaspace', 'replacement': '\u2581', 'add_prefix_space': False,
                           'prepend_scheme': 'never'}),
)
VARIANT_TEXTS = ['hello <mask> world', '<s>hello world', ' hello world', 'a<mask>b c', '<mask>x', 'hello  world  ',
                 '', '   ', 'x', '\uff21\uff22  c \u2460', '\u3000lead and trail\u3000', 'a\u2581b \u2581\u2581c',
                 '</s> x <pad>y', 'Le chat \u00e9tait l\u00e0. \u041f\u0440\u0438\u0432\u0435\u0442  \u043c\u0438\u0440']


def pre_tokenizer_variants(out_dir, main_json, js):
    """variants.json: tokenizer.json with each pre_tokenizer of PRE_TOKENIZER_VARIANTS, and the
    crate's ids and byte offsets for VARIANT_TEXTS."""
    doc = {'texts': VARIANT_TEXTS, 'variants': []}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, pre in PRE_TOKENIZER_VARIANTS:
            d = json.loads(main_json)
            d['pre_tokenizer'] = pre
            paths.append(os.path.join(tmp, name + '.json'))
            with open(paths[-1], 'w', encoding='utf-8') as f:
                f.write(dump(d))
        r = subprocess.run(['node', js] + paths, input=json.dumps(VARIANT_TEXTS).encode('utf-8'),
                           stdout=subprocess.PIPE, check=True)
    res = json.loads(r.stdout)['results']
    for (name, pre), rr in zip(PRE_TOKENIZER_VARIANTS, res):
        doc['variants'].append({'name': name, 'pre_tokenizer': pre, 'ids': [x['ids'] for x in rr],
                                'offsets': [x['offsets'] for x in rr]})
    with open(os.path.join(out_dir, 'variants.json'), 'w', encoding='utf-8', newline='\n') as f:
        f.write(json.dumps(doc, ensure_ascii=True, separators=(',', ':')) + '\n')


def pairs(out_dir, texts, rng):
    """pairs.jsonl: 120 pairs of case texts through tokenizer.json as pairs (its TemplateProcessing pair
    template, <s> A </s> </s> B </s>, all of type 0), truncated longest_first to 16, 64 and 512 tokens;
    ids and type ids from tests/models/tokenize_texts.js."""
    short = [t for t in texts if len(t) <= 400]
    doc = {'pairs': []}
    for max_length in (16, 64, 512):
        ps = [[rng.choice(short), rng.choice(short)] for _ in range(40)]
        r = subprocess.run(['node', os.path.join(ROOT, 'tests', 'models', 'tokenize_texts.js'), '--tokenizer-json',
                            os.path.join(out_dir, 'tokenizer.json'), '--max-length', str(max_length), '--pairs'],
                           input=json.dumps(ps).encode('utf-8'), stdout=subprocess.PIPE, check=True)
        res = json.loads(r.stdout)
        for pr, ids, ty in zip(ps, res['ids'], res['type_ids']):
            doc['pairs'].append({'a': pr[0], 'b': pr[1], 'max_length': max_length, 'ids': ids, 'type_ids': ty})
    with open(os.path.join(out_dir, 'pairs.jsonl'), 'w', encoding='utf-8', newline='\n') as f:
        for p in doc['pairs']:
            f.write(json.dumps(p, ensure_ascii=True, separators=(',', ':')) + '\n')


def long_texts(out_dir, texts, js):
    """long-texts.json: the crate's tokens for texts longer than the C tokenizer's 64 KB
    normalisation window, as counts, hashes and the ends of the id lists."""
    longs = [(name, long_text(texts, keep, size)) for name, keep, size in LONG_TEXTS]
    r = subprocess.run(['node', js, os.path.join(out_dir, 'tokenizer.json'), os.path.join(out_dir, 'tokenizer-wsplit.json')],
                       input=json.dumps([t for _, t in longs]).encode('utf-8'), stdout=subprocess.PIPE, check=True)
    res = json.loads(r.stdout)['results']
    doc = {'rule': 'the texts of cases.jsonl that are kept, in file order, each followed by one space, '
                   'cycled until the text reaches size bytes; ids and offsets of the whole text, no truncation',
           'texts': []}
    for k, (name, t) in enumerate(longs):
        entry = {'name': name, 'size': LONG_TEXTS[k][2], 'bytes': len(t.encode('utf-8'))}
        for key, rr in (('main', res[0][k]), ('wsplit', res[1][k])):
            ids = rr['ids']
            entry[key] = {'n': len(ids), 'ids_fnv1a64': fnv1a64_u32(ids),
                          'offsets_fnv1a64': fnv1a64_u32([x for se in rr['offsets'] for x in se]),
                          'head': ids[:24], 'tail': ids[-24:]}
        doc['texts'].append(entry)
        print('long text %s: %d bytes, %d / %d tokens' % (name, entry['bytes'], entry['main']['n'], entry['wsplit']['n']))
    with open(os.path.join(out_dir, 'long-texts.json'), 'w', encoding='utf-8', newline='\n') as f:
        f.write(json.dumps(doc, indent=1) + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.environ.get('EMBED_SHARED_DATA', '/work/shared/data'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'tests', 'fixtures', 'tokenizer', 'unigram'))
    ap.add_argument('--keep-model', metavar='DIR', help='also copy the trained .model/.vocab here')
    a = ap.parse_args()
    d = load_data(a.data)

    with tempfile.TemporaryDirectory() as tmp:
        model_path, samples, ntrain = train(d, tmp)
        with open(model_path, 'rb') as f:
            model_bytes = f.read()
        if a.keep_model:
            os.makedirs(a.keep_model, exist_ok=True)
            for ext in ('model', 'vocab'):
                with open(os.path.join(tmp, 'unigram.' + ext), 'rb') as f, \
                        open(os.path.join(a.keep_model, 'unigram.' + ext), 'wb') as g:
                    g.write(f.read())
    sp = spm.SentencePieceProcessor(model_proto=model_bytes)
    pieces, norm = parse_model(model_bytes)

    # The hand parser against the library (and against sentencepiece_model_pb2 if it imports).
    assert len(pieces) == sp.get_piece_size() == SP_VOCAB_SIZE
    for i, p in enumerate(pieces):
        assert p['piece'] == sp.id_to_piece(i) and p['score'] == sp.get_score(i), i
        want = 2 if i == 0 else 3 if i in (1, 2) else 1
        assert p['type'] == want, (i, p)
    assert [p['piece'] for p in pieces[:3]] == ['<unk>', '<s>', '</s>']
    assert norm.get('name') == 'nmt_nfkc' and norm.get('precompiled_charsmap')
    try:
        from sentencepiece import sentencepiece_model_pb2 as pb2
    except Exception:  # noqa: BLE001 - optional cross-check
        pb2 = None
    if pb2 is not None:
        m = pb2.ModelProto()
        m.ParseFromString(model_bytes)
        assert m.normalizer_spec.precompiled_charsmap == norm['precompiled_charsmap']
        assert [(x.piece, x.score, x.type) for x in m.pieces] == [(p['piece'], p['score'], p['type']) for p in pieces]
    charsmap = norm['precompiled_charsmap']

    os.makedirs(a.out, exist_ok=True)
    files = {}
    for name, wsplit in (('tokenizer.json', False), ('tokenizer-wsplit.json', True)):
        files[name] = dump(tokenizer_json(pieces, charsmap, wsplit))
        with open(os.path.join(a.out, name), 'w', encoding='utf-8', newline='\n') as f:
            f.write(files[name])
    n_ids = len(pieces) - 3 + 5
    # The side files of an XLM-R tokenizer directory, for the xlmr test model (make_golden.py and
    # gen_model copy them with tokenizer.json); nothing reads them while tokenizer.json is there.
    side = {'tokenizer_config.json': {
                'bos_token': '<s>', 'clean_up_tokenization_spaces': True, 'cls_token': '<s>', 'eos_token': '</s>',
                'mask_token': '<mask>', 'model_max_length': 512, 'pad_token': '<pad>', 'sep_token': '</s>',
                'tokenizer_class': 'XLMRobertaTokenizer', 'unk_token': '<unk>'},
            'special_tokens_map.json': {
                'bos_token': '<s>', 'cls_token': '<s>', 'eos_token': '</s>', 'mask_token': '<mask>',
                'pad_token': '<pad>', 'sep_token': '</s>', 'unk_token': '<unk>'}}
    for name, obj in side.items():
        with open(os.path.join(a.out, name), 'w', encoding='utf-8', newline='\n') as f:
            f.write(json.dumps(obj, indent=2) + '\n')

    texts = texts_for(d, samples, random.Random(SEED + 1))
    js = os.path.join(ROOT, 'tests', 'tokenizer', 'unigram_reference.js')
    with tempfile.TemporaryDirectory() as tmp:
        variant = os.path.join(tmp, 'tokenizer-normalized.json')
        with open(variant, 'w', encoding='utf-8') as f:
            f.write(dump(normalized_variant(json.loads(files['tokenizer.json']), n_ids)))
        r = subprocess.run(['node', js, os.path.join(a.out, 'tokenizer.json'), os.path.join(a.out, 'tokenizer-wsplit.json'),
                            variant], input=json.dumps(texts).encode('utf-8'), stdout=subprocess.PIPE, check=True)
    ref = json.loads(r.stdout)
    main_res, ws_res, norm_res = ref['results']
    ref['saved'] = ref['saved'][:2]

    # What the crate writes back when it saves what it loaded: the same JSON, except that some
    # scores come back 1 ulp away (serde_json's default float parser is not correctly rounded).
    for name, saved in zip(('tokenizer.json', 'tokenizer-wsplit.json'), ref['saved']):
        mine, back = json.loads(files[name]), json.loads(saved)
        vm, vb = mine['model'].pop('vocab'), back['model'].pop('vocab')
        assert [p for p, _ in vm] == [p for p, _ in vb], name
        nscore = sum(1 for (_, x), (_, y) in zip(vm, vb) if x != y)
        assert all(abs(x - y) <= math.ulp(x) for (_, x), (_, y) in zip(vm, vb)), name
        print('%s: crate round trip %s; %d of %d scores 1 ulp off; rest of the JSON %s' % (
            name, 'byte-identical' if saved == files[name] else 'differs', nscore, len(vm),
            'equal' if mine == back else 'DIFFERENT: ' + json.dumps(back['pre_tokenizer'], ensure_ascii=False)))

    with open(os.path.join(a.out, 'cases.jsonl'), 'w', encoding='utf-8', newline='\n') as f:
        for t, m, w, nz in zip(texts, main_res, ws_res, norm_res):
            b = len(t.encode('utf-8'))
            for res in (m, w, nz):
                assert res['ids'][0] == 0 and res['ids'][-1] == 2, t
                assert all(0 <= s <= e <= b for s, e in res['offsets'])
                assert all(0 <= i <= n_ids for i in res['ids'])
            f.write(json.dumps({'text': t, 'ids': m['ids'], 'offsets': m['offsets'], 'tokens': m['tokens'],
                                'ids_wsplit': w['ids'], 'offsets_wsplit': w['offsets'],
                                'ids_normalized': nz['ids'], 'offsets_normalized': nz['offsets']},
                               ensure_ascii=True, separators=(',', ':')) + '\n')
    print('normalized variant: %d texts where its ids differ from tokenizer.json\'s' % sum(
        1 for m, nz in zip(main_res, norm_res) if m['ids'] != nz['ids']))

    long_texts(a.out, texts, js)
    pre_tokenizer_variants(a.out, files['tokenizer.json'], js)
    pairs(a.out, texts, random.Random(SEED + 2))

    # Cross-check (information only): the sentencepiece library itself on the same texts.
    # sp ids: 0 <unk>, 1 <s>, 2 </s>, then the pieces, which are tokenizer.json's ids - 1.
    def sp_ids(t):
        return [3 if i == 0 else i + 1 for i in sp.encode(t)]
    cats = collections.OrderedDict((k, []) for k in ('special', 'trailing', 'other'))
    for t, m in zip(texts, main_res):
        if sp_ids(t) == m['ids'][1:-1]:
            continue
        hf = m['tokens'][1:-1]
        if any(x in t for x in ('<s>', '</s>', '<unk>', '<pad>', '<mask>')):
            cats['special'].append(t)
        elif hf and hf[-1] == '\u2581' and sp_ids(t) == m['ids'][1:-2]:
            cats['trailing'].append(t)
        else:
            cats['other'].append((t, hf, sp.encode(t, out_type=str)))
    print('binding @anush008/tokenizers %s; sentencepiece %s; %d training lines; %d ids (sp %d pieces)'
          % (ref['binding'], spm.__version__, ntrain, n_ids, len(pieces)))
    print('%d texts; sentencepiece differs from the crate on %d: %d with a typed special token, '
          '%d only by the crate\'s final "\u2581" (trailing whitespace), %d others:'
          % (len(texts), sum(map(len, cats.values())), len(cats['special']), len(cats['trailing']), len(cats['other'])))
    for t, hf, s in cats['other']:
        print('  %s\n    hf %s\n    sp %s' % (json.dumps(t)[:160], ' '.join(hf)[:300], ' '.join(s)[:300]))

if __name__ == '__main__':
    main()
