#!/usr/bin/python3
"""The crate's tokens for the modernbert-style tokenizer.json: bpe/cases-modernbert.jsonl.

    /usr/bin/python3 tests/tokenizer/make_modernbert_cases.py      (from anywhere; ~3 s)

Needs node and the reference binding in $PEERS_NODE (default ~/.cache/embed-peers/node):
`npm install --prefix ~/.cache/embed-peers/node @anush008/tokenizers@0.6.0`.  Standard library
only otherwise.

The tokenizer is tests/fixtures/vocab/modernbert-style/tokenizer.json (written by
tests/models/make_modernbert_vocab.py from bpe/tokenizer-template.json): byte-level BPE with an NFC
normalizer, TemplateProcessing "[CLS] $A [SEP]" and OLMo's added tokens, some of them not special
and "normalized": true.  The texts are, in this order:
  1. every text of bpe/cases.jsonl (its 383 hand-written texts, then its 5,929 corpus texts), in
     file order;
  2. NFC_TEXTS below: decomposed accents, Hangul jamo, compositions that change a text's length,
     singletons (U+212B, U+2126, CJK compatibility ideographs), marks reordered or blocked, marks
     after added tokens, characters newer than the crate's Unicode 9.0 tables, runs of spaces
     (the added token "    "), OLMo's added tokens inside words, [MASK] (lstrip) after spaces,
     the empty text.
Each text is encoded alone by tests/tokenizer/unigram_reference.js (add_special_tokens true, no
truncation), which converts the crate's character offsets to UTF-8 byte offsets.

To keep the file small, a text of bpe/cases.jsonl whose result is the one bpe/cases.jsonl already
holds for tokenizer-template.json (same vocabulary and merges) once its first id <s> 0 and last id
</s> 2 become [CLS] 4000 and [SEP] 4001, with the same offsets, has no line: this script compares
the two results of the crate for every such text and writes a line for each text where they differ
(NFC changed the text, or an added token of either file is typed in it):
{"case": n (its line in cases.jsonl, from 1), "text", "ids", "offsets"}.  Then one line
{"text", "ids", "offsets"} for each NFC_TEXTS text, always.  Offsets as [[start, end], ...]
like cases.jsonl's; json.dumps(ensure_ascii=True).  Deterministic.
"""
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BPE = os.path.join(ROOT, 'tests', 'fixtures', 'tokenizer', 'bpe')
TOKENIZER = os.path.join(ROOT, 'tests', 'fixtures', 'vocab', 'modernbert-style', 'tokenizer.json')
REFERENCE = os.path.join(ROOT, 'tests', 'tokenizer', 'unigram_reference.js')
OUT = os.path.join(BPE, 'cases-modernbert.jsonl')

IP, EMAIL = '|||IP_ADDRESS|||', '|||EMAIL_ADDRESS|||'
NFC_TEXTS = [
    # decomposed accents: the composed letter spans the base letter alone
    'e\u0301', 'cafe\u0301', 'cafe\u0301 au lait', 'Cre\u0300me bru\u0302le\u0301e', 'n\u0303o', 'Ni\u00f1o Nin\u0303o',
    'A\u030angstro\u0308m', 'E\u0301COLE e\u0301cole', 'u\u0308ber U\u0308ber', 'Vie\u0323\u0302t Nam',
    'Vie\u0302\u0323t Nam', 'Tie\u0302\u0301ng Vie\u0323\u0302t', 'o\u031b\u0300', 'a\u0301\u0323', 'a\u0323\u0301',
    'e\u0301\u0301', 'e\u0301\u0300\u0302\u0303', 'x\u0301', 'q\u0307\u0323', '\u0301', '\u0301e', ' \u0301',
    'e\u0301e\u0301e\u0301', '\u0391\u0301\u03b8\u03b7\u03bd\u03b1', '\u03b1\u0313\u0301', '\u0418\u0306\u0435\u0308',
    # Hangul: conjoining jamo compose into syllables spanning their first jamo
    '\u1112\u1161\u11ab', '\u1112\u1161\u11ab\u1100\u1173\u11af', '\u1100\u1161', '\u1100\u1161\u11a8\u1100\u1161',
    '\u1100', '\u1161', '\u11a8', '\u1100\u1100\u1161', '\u1100\u1161\u1161', '\uac00\u11a8', '\uac01\u11a8',
    '\ud55c\uad6d\uc5b4 \u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165', 'x\u1112\u1161\u11aby',
    '\u1112\u1161\u11ab \u1100\u1173\u11af', '\u1100\u0301\u1161',
    # compositions and decompositions that change the length
    '\u212b', '\u212bngstr\u00f6m', '\u2126', '5 \u2126', '\u212a', '\u212a elvin', '\u0344', 'x\u0344',
    '\u0f73', '\u0301\u0f73', 'x\u0301\u0f73', '\u0f75\u0f81', '\u2adc', 'a\u2adcb', '\u0958', '\u0915\u093c',
    '\u0929', '\u0928\u093c', '\ufb1d', '\ufb2a', '\U0001d15e', '\U0001d160', '\u0340', '\u0341x', '\u0374',
    'a\u037e b', '\u0387', '\u1e9b\u0323', '\u1e0b\u0323', '\u1e0d\u0307', 'd\u0307\u0323', 'd\u0323\u0307',
    '\u00c5\u0301', '\u01fa', 'A\u030a\u0301', '\u1f80\u0301',
    # CJK compatibility ideographs (singletons)
    '\uf900', '\uf900\uf901\uf902', '\u8c48', '\ufa10', '\ufa6c', '\U0002f800', '\U0002f8a6', '\U0002fa1d',
    '\u6f22\u5b57\uf91f\uf9d1 \uf9ec', 'x\uf900y',
    # newer than Unicode 9.0: left alone, as the crate's tables are 9.0's
    '\U00011935\U00011930', '\U00011938', '\U000113c2\U000113b8', '\U00016d67\U00016d67', '\U000105d2\u0307',
    '\u1b05\u1b35', '\u1b06',
    # many marks on one letter (reordered by class, some blocked)
    'a' + '\u0316\u0301' * 20 + 'b', 'e' + '\u0301' * 50, 'o' + '\u0323\u0302' * 10 + '\u0301',
    '\u0316\u0301\u0323x\u0301', 'a\u0316\u0301b', 'a\u0301\u0316b', 'a\u05b0\u0301\u0323',
    # marks after (and before) added tokens
    IP + '\u0301', IP + '\u0301x', 'e' + IP + '\u0301', EMAIL + '\u0308', '[MASK]\u0301', '[CLS]\u0301',
    '[SEP]\u0323x', '    \u0301', 'a    \u0301b', '\u0301' + IP, 'e\u0301' + IP + 'e\u0301', '<|endoftext|>\u0301',
    '\u212b' + EMAIL + '\u212b', 'x\u0301 [MASK] y\u0301', '\u1112\u1161\u11ab[MASK]\u1100\u1161',
    '|||IP_ADDRESS||\u0301|', '|||IP_ADDRE\u0301SS|||',
    # runs of spaces and the added token "    "
    'a b', 'a  b', 'a   b', 'a    b', 'a     b', 'a      b', 'a       b', 'a        b', 'a         b',
    'a' + ' ' * 12 + 'b', 'a' + ' ' * 16 + 'b', 'a' + ' ' * 17 + 'b', '    ', '     ', '        ', '    x',
    'x    ', ' ' * 9, '\t    x', 'x    \t', '  \u3000    x', 'a\u00a0    b', '    \n    ', 'def f():\n    return 1\n',
    'if x:\n        y = 2\n    z\n', 'a    [MASK]', 'a     [MASK] b', '    [MASK]', '    ' + IP + '    ',
    # OLMo's added tokens inside words and next to each other
    'foo' + IP + 'bar', 'a' + EMAIL + '.com', 'mail me at ' + EMAIL + ' or ' + IP + '.', IP + IP,
    '|' + IP + '|', '||||IP_ADDRESS||||', '|||IP_ADDRESS|||IP_ADDRESS|||', '|||ip_address|||',
    '|||IP_ADDRESS', 'IP_ADDRESS|||', '<|endoftext|>', 'x<|endoftext|>y', '<|padding|>', 'a<|padding|>b',
    '<|endoftext|>' + IP + '<|padding|>', '[UNK][PAD]', '[unk]',
    # [MASK]: lstrip takes the whitespace before it, not after
    '[MASK]', 'a [MASK]', 'a  [MASK]', 'a [MASK] b', 'a\t[MASK]', 'a\u3000[MASK]b', 'a\u00a0[MASK]',
    ' [MASK]', '   [MASK]   ', '[MASK][MASK]', 'a [MASK] [MASK] b', 'the [MASK] sat on the [mask]',
    'x\n[MASK]', '[CLS] a [SEP] b [SEP]', ' [CLS]', 'a [SEP]',
    # the empty text, the texts tokenize_texts.js is checked on, other edges
    'Hello world', 'a    b  c', 'caf\u00e9 |||IP_ADDRESS||| x [MASK] y', '', ' ', '\u0301\u0301', 'a\u0000\u0301', '\u00e9\u0000e\u0301',
]


def as_template(case):
    """cases.jsonl's tokenizer-template.json result with [CLS] and [SEP] around it."""
    ids = list(case['ids_template'])
    ids[0], ids[-1] = 4000, 4001
    return ids, case['offsets_template']


def main():
    with open(os.path.join(BPE, 'cases.jsonl'), encoding='utf-8') as f:
        cases = [json.loads(line) for line in f]
    texts = [c['text'] for c in cases] + NFC_TEXTS
    r = subprocess.run(['node', REFERENCE, TOKENIZER], input=json.dumps(texts).encode('utf-8'),
                       stdout=subprocess.PIPE, check=True)
    doc = json.loads(r.stdout)
    results = doc['results'][0]
    assert len(results) == len(texts)
    written = 0
    with open(OUT, 'w', encoding='utf-8', newline='\n') as f:
        for k, (t, res) in enumerate(zip(texts, results)):
            row = {'text': t, 'ids': res['ids'], 'offsets': res['offsets']}
            if k < len(cases):
                if as_template(cases[k]) == (res['ids'], res['offsets']):
                    continue
                row = dict(case=k + 1, **row)
            f.write(json.dumps(row, ensure_ascii=True, separators=(',', ':')) + '\n')
            written += 1
    print('%s: %d texts (%d of cases.jsonl, %d NFC texts), %d lines (%d cases.jsonl texts differ from '
          'tokenizer-template.json\'s), %d bytes, binding %s' % (
              os.path.relpath(OUT, ROOT), len(texts), len(cases), len(NFC_TEXTS), written,
              written - len(NFC_TEXTS), os.path.getsize(OUT), doc['binding']))


if __name__ == '__main__':
    main()
