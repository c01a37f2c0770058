#!/usr/bin/env node
// Reference tokenization for the golden text cases: the Hugging Face Rust
// `tokenizers` library through its Node binding @anush008/tokenizers.
//
//   node tests/models/tokenize_texts.js (--vocab vocab.txt [--cased] | --tokenizer-json tokenizer.json)
//        --max-length N [--pairs] < texts.json > ids.json
//
// stdin: JSON array of strings.  stdout: JSON {"ids": [[101, ..., 102], ...]}
// (single sequences, [CLS] ... [SEP], truncated to N tokens including the two
// special tokens, no padding).
// --pairs: stdin is a JSON array of [a, b] string pairs, each encoded as a
//   pair (BERT: [CLS] a [SEP] b [SEP]; RobertaProcessing: <s> a </s></s> b
//   </s>); stdout {"ids": [...], "type_ids": [...]} as the library gives them.
//   A pair longer than N is truncated "longest_first" (what transformers'
//   tokenizer(a, b, truncation=True, max_length=N) and sentence-transformers'
//   CrossEncoder do): the crate's TruncationStrategy::LongestFirst, direction
//   right, stride 0, with N less the pair's special tokens shared between the
//   two texts (tokenizers 0.22: the shorter text is kept whole while it fits
//   in half, otherwise each gets half, the odd token going to the longer
//   text, or to the second when they are as long).
//
// --vocab: the tokenizer BertTokenizerFast builds from a vocab.txt:
//   BertNormalizer(clean_text, handle_chinese_chars, strip_accents = lowercase = !cased),
//   BertPreTokenizer, WordPiece("##", "[UNK]", max 100 chars/word),
//   BertProcessing([CLS] x [SEP]), special tokens [PAD] [UNK] [CLS] [SEP] [MASK].
// --tokenizer-json: the pipeline stored in tokenizer.json, with its stored
//   padding switched off and truncation set to N (what transformers does when
//   sentence-transformers calls it with padding=True, max_length=N).
//
// Node packages come from $PEERS_NODE (default ~/.cache/embed-peers/node).
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');

const PEERS_NODE = process.env.PEERS_NODE || path.join(os.homedir(), '.cache/embed-peers/node');
const tk = require(require.resolve('@anush008/tokenizers', { paths: [PEERS_NODE, __dirname] }));

function parseArgs(argv) {
  const a = {};
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (k === 'cased') a.cased = true;
    else if (k === 'pairs') a.pairs = true;
    else a[k] = argv[++i];
  }
  if (!a['max-length'] || (!a.vocab && !a['tokenizer-json'])) {
    throw new Error('usage: tokenize_texts.js (--vocab F [--cased] | --tokenizer-json F) --max-length N');
  }
  return a;
}

async function fromVocab(vocabPath, cased) {
  const vocab = fs.readFileSync(vocabPath, 'utf8').split('\n');
  const id = (t) => {
    const i = vocab.indexOf(t);
    if (i < 0) throw new Error('vocab lacks ' + t);
    return i;
  };
  const model = await tk.WordPiece.fromFile(vocabPath, {
    unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100,
  });
  const t = new tk.Tokenizer(model);
  t.setNormalizer(tk.bertNormalizer({
    cleanText: true, handleChineseChars: true, stripAccents: !cased, lowercase: !cased,
  }));
  t.setPreTokenizer(tk.bertPreTokenizer());
  t.setPostProcessor(tk.bertProcessing(['[SEP]', id('[SEP]')], ['[CLS]', id('[CLS]')]));
  t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  return t;
}

async function main() {
  const a = parseArgs(process.argv);
  const maxLength = +a['max-length'];
  const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
  let t;
  if (a.vocab) {
    t = await fromVocab(a.vocab, !!a.cased);
  } else {
    t = tk.Tokenizer.fromFile(a['tokenizer-json']);
    t.disablePadding();
  }
  // the crate's defaults, spelled out: longest_first, cut at the end, no stride
  t.setTruncation(maxLength, { strategy: 'LongestFirst', direction: 'right', stride: 0 });
  const out = a.pairs ? { ids: [], type_ids: [] } : { ids: [] };
  for (const s of texts) {   // one at a time: no batch padding can creep in
    const enc = a.pairs ? await t.encode(s[0], s[1], { addSpecialTokens: true })
                        : await t.encode(s, null, { addSpecialTokens: true });
    const ids = Array.from(enc.getIds(), Number);
    if (ids.length > maxLength) throw new Error('truncation failed');
    out.ids.push(ids);
    if (a.pairs) out.type_ids.push(Array.from(enc.getTypeIds(), Number));
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
