#!/usr/bin/env node
// Throughput of the reference tokenizer: Hugging Face's Rust `tokenizers` crate (0.22.2) through
// the N-API binding @anush008/tokenizers 0.6.0, built as BertTokenizerFast builds bert-base-uncased
// (same construction as tests/tokenizer/make_expected.js).
//
//   node bench/tokenizer_ref.js TEXTS.txt [--vocab tests/fixtures/vocab/bert-base-uncased/vocab.txt]
//        [--cased] [--max-length 512] [--min-seconds 3]
//   node bench/tokenizer_ref.js TEXTS.txt --tokenizer-json FILE [--max-length 512] [--min-seconds 3]
//        (a tokenizer.json as it stands, e.g. the Unigram one of tests/fixtures/tokenizer/unigram)
//
// TEXTS.txt: one text per line (UTF-8).  Prints, for (1) one `await encode(text)` per text in a
// loop and (2) `encodeBatch(all texts)`, the input MB/s (UTF-8 bytes of the texts, 1 MB = 1e6
// bytes) and texts/s.  encodeBatch runs on the crate's rayon pool (RAYON_NUM_THREADS=1 to pin it
// to one thread); each encode() call is a libuv thread-pool task, so (1) includes that overhead.
// The binding is looked up in $PEERS_NODE (default ~/.cache/embed-peers/node).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const PEERS_NODE = process.env.PEERS_NODE || path.join(os.homedir(), '.cache/embed-peers/node');
const tk = require(require.resolve('@anush008/tokenizers', { paths: [PEERS_NODE] }));
const ROOT = path.resolve(__dirname, '..');

function args(argv) {
  const a = { vocab: path.join(ROOT, 'tests/fixtures/vocab/bert-base-uncased/vocab.txt'), 'max-length': '512', 'min-seconds': '3' };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--cased') a.cased = true;
    else if (argv[i].startsWith('--')) a[argv[i].slice(2)] = argv[++i];
    else a.input = argv[i];
  }
  if (!a.input) throw new Error('usage: node bench/tokenizer_ref.js TEXTS.txt [--vocab V] [--cased]');
  return a;
}

async function build(vocab, cased, maxLength) {
  const model = await tk.WordPiece.fromFile(vocab, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
  const t = new tk.Tokenizer(model);
  t.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: !cased, lowercase: !cased }));
  t.setPreTokenizer(tk.bertPreTokenizer());
  t.setPostProcessor(tk.bertProcessing(['[SEP]', t.tokenToId('[SEP]')], ['[CLS]', t.tokenToId('[CLS]')]));
  t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  t.setTruncation(maxLength);
  return t;
}

async function timeIt(minSeconds, fn) {
  await fn(); // warm-up
  let reps = 0;
  const t0 = process.hrtime.bigint();
  let dt = 0;
  do { await fn(); reps++; dt = Number(process.hrtime.bigint() - t0) / 1e9; } while (dt < minSeconds);
  return { reps, seconds: dt };
}

async function main() {
  const a = args(process.argv);
  const raw = fs.readFileSync(a.input, 'utf8');
  const texts = raw.split('\n');
  if (texts[texts.length - 1] === '') texts.pop();
  const bytes = texts.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
  let t;
  if (a['tokenizer-json']) {
    t = tk.Tokenizer.fromFile(a['tokenizer-json']);
    t.setTruncation(+a['max-length']);
  } else {
    t = await build(a.vocab, !!a.cased, +a['max-length']);
  }
  const minS = +a['min-seconds'];
  let ntok = 0;
  for (const e of await t.encodeBatch(texts)) ntok += e.getLength();
  console.log(`input: ${a.input}: ${texts.length} texts, ${(bytes / 1e6).toFixed(3)} MB UTF-8, ${ntok} ids (with [CLS]/[SEP], truncation ${a['max-length']})`);
  console.log(`@anush008/tokenizers 0.6.0 (tokenizers 0.22.2), node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model}), ` +
    `RAYON_NUM_THREADS=${process.env.RAYON_NUM_THREADS || '(unset)'}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE || '(unset)'}`);
  const report = (label, r) => {
    const n = r.reps * texts.length;
    console.log(`${label.padEnd(34)} ${(r.reps * bytes / 1e6 / r.seconds).toFixed(2).padStart(8)} MB/s ${(n / r.seconds).toFixed(0).padStart(9)} texts/s  (${r.reps} pass(es), ${r.seconds.toFixed(2)} s)`);
  };
  report('encode() one text at a time', await timeIt(minS, async () => { for (const s of texts) await t.encode(s); }));
  report('encodeBatch(all texts)', await timeIt(minS, async () => { await t.encodeBatch(texts); }));
}

main().catch((e) => { console.error(e); process.exit(1); });
