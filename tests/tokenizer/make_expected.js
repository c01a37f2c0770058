#!/usr/bin/env node
// Expected token ids for the tokenizer parity tests, from Hugging Face's Rust `tokenizers` crate
// (v0.22.2) through its N-API binding @anush008/tokenizers 0.6.0.
//
//   node tests/tokenizer/make_expected.js
//
// Reads  tests/fixtures/tokenizer/corpus.jsonl (one JSON string per line, see make_corpus.py)
//        tests/fixtures/vocab/<name>/vocab.txt
//        tests/fixtures/vocab/all-MiniLM-L6-v2/tokenizer.json
//        tests/fixtures/tokenizer/llama-cpp/ggml-vocab-bert-bge.gguf.{inp,out}
// Writes tests/fixtures/tokenizer/expected-<name>.jsonl  one line per corpus line:
//          {"ids":[...],"offsets":[[s,e],...]}   offsets = UTF-8 byte offsets into the text
//        tests/fixtures/tokenizer/options.json
//        tests/fixtures/tokenizer/pairs-bert-base-uncased.jsonl
//        tests/fixtures/tokenizer/expected-mpnet-style-exceptions.jsonl, pairs-mpnet-style.jsonl
//          (vocab/mpnet-style/tokenizer.json: RobertaProcessing, a normalised added token)
// Checks (exit status 1 if one fails): tokenizer.json (all-MiniLM-L6-v2) == our bert-base-uncased
// build on the whole corpus; the llama.cpp expected ids; encode() == encodeBatch() on one vocab.
//
// The binding is looked up in $PEERS_NODE (default ~/.cache/embed-peers/node); install it with
//   npm install --prefix ~/.cache/embed-peers/node @anush008/tokenizers@0.6.0
// Do not substitute @huggingface/tokenizers (pure JS): it is not the reference.
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');

const PEERS_NODE = process.env.PEERS_NODE || path.join(os.homedir(), '.cache/embed-peers/node');
const tk = require(require.resolve('@anush008/tokenizers', { paths: [PEERS_NODE] }));
const TK_VERSION = require(require.resolve('@anush008/tokenizers/package.json', { paths: [PEERS_NODE] })).version;

const ROOT = path.resolve(__dirname, '..', '..');
const FIX = path.join(ROOT, 'tests/fixtures/tokenizer');
const VOCAB = path.join(ROOT, 'tests/fixtures/vocab');
const MAX_LENGTH = 512;
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

// name -> BertNormalizer flags (what BertTokenizerFast does for these checkpoints:
// do_lower_case=True => lowercase + strip accents; cased => neither).
const OPTIONS = {
  'bert-base-uncased': { lowercase: true, strip_accents: true },
  'bert-base-cased': { lowercase: false, strip_accents: false },
  'bert-base-multilingual-cased': { lowercase: false, strip_accents: false },
  'bert-base-chinese': { lowercase: true, strip_accents: true },
};

let failures = 0;
function fail(msg) { failures++; console.error('FAIL: ' + msg); }

async function bertTokenizer(name) {
  const o = OPTIONS[name];
  const model = await tk.WordPiece.fromFile(path.join(VOCAB, name, 'vocab.txt'), {
    unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100,
  });
  const t = new tk.Tokenizer(model);
  t.setNormalizer(tk.bertNormalizer({
    cleanText: true, handleChineseChars: true, stripAccents: o.strip_accents, lowercase: o.lowercase,
  }));
  t.setPreTokenizer(tk.bertPreTokenizer());
  const cls = t.tokenToId('[CLS]');
  const sep = t.tokenToId('[SEP]');
  if (cls == null || sep == null) throw new Error(name + ': vocab lacks [CLS]/[SEP]');
  t.setPostProcessor(tk.bertProcessing(['[SEP]', sep], ['[CLS]', cls]));
  t.setDecoder(tk.wordPieceDecoder('##', true));
  t.addSpecialTokens(SPECIALS);
  t.setTruncation(MAX_LENGTH); // strategy LongestFirst, stride 0, direction Right (crate defaults)
  t.disablePadding();
  return t;
}

// The binding calls encode_char_offsets / encode_batch_char_offsets, so offsets are counted in
// Unicode scalar values (Rust chars = code points), not bytes and not UTF-16 units.  Convert.
function cpToByteTable(text) {
  const tab = [0];
  let b = 0;
  for (const ch of text) { // iterates by code point
    const cp = ch.codePointAt(0);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    tab.push(b);
  }
  return tab;
}

function toByteOffsets(text, offsets, where) {
  const tab = cpToByteTable(text);
  const ncp = tab.length - 1;
  return offsets.map(([s, e]) => {
    if (!(s <= e && e <= ncp)) throw new Error(`${where}: offset [${s},${e}] outside ${ncp} code points`);
    return [tab[s], tab[e]];
  });
}

async function encodeAll(t, texts, chunk = 2000) {
  const out = [];
  for (let i = 0; i < texts.length; i += chunk) {
    const encs = await t.encodeBatch(texts.slice(i, i + chunk));
    for (const e of encs) out.push(e);
  }
  return out;
}

// deterministic PRNG for the pair selection
function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// JSON with every non-ASCII UTF-16 unit escaped (like Python's ensure_ascii=True), so that a line
// never contains raw U+0085 / U+2028 / U+2029 that some line splitters treat as line breaks.
function asciiJson(v) {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function sameArr(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function main() {
  const corpusPath = path.join(FIX, 'corpus.jsonl');
  const lines = fs.readFileSync(corpusPath, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const texts = lines.map((l, i) => {
    const s = JSON.parse(l);
    if (typeof s !== 'string') throw new Error(`corpus line ${i + 1} is not a JSON string`);
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
      throw new Error(`corpus line ${i + 1} has a lone surrogate`);
    }
    return s;
  });
  console.log(`make_expected: @anush008/tokenizers ${TK_VERSION} (tokenizers crate 0.22.2), node ${process.version}`);
  console.log(`corpus: ${texts.length} texts, ${fs.statSync(corpusPath).size} bytes`);

  const expected = {};
  for (const name of Object.keys(OPTIONS)) {
    const t = await bertTokenizer(name);
    const encs = await encodeAll(t, texts);
    const rows = [];
    let ntok = 0, nunk = 0, ntrunc = 0, nempty = 0;
    const unk = t.tokenToId('[UNK]');
    for (let i = 0; i < texts.length; i++) {
      const ids = encs[i].getIds();
      const offsets = toByteOffsets(texts[i], encs[i].getOffsets(), `${name} line ${i + 1}`);
      if (ids.length !== offsets.length) throw new Error(`${name} line ${i + 1}: ids/offsets length differ`);
      rows.push({ ids, offsets });
      ntok += ids.length;
      for (const id of ids) if (id === unk) nunk++;
      if (ids.length === MAX_LENGTH) ntrunc++;
      if (ids.length === 2) nempty++;
    }
    expected[name] = rows;
    const outPath = path.join(FIX, `expected-${name}.jsonl`);
    fs.writeFileSync(outPath, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    console.log(`${name}: vocab ${t.getVocabSize(false)} (file lines ${fs.readFileSync(path.join(VOCAB, name, 'vocab.txt'), 'utf8').split('\n').length - 1}), ` +
      `${rows.length} lines, ${ntok} ids, ${nunk} [UNK], ${ntrunc} at ${MAX_LENGTH}, ${nempty} empty -> ` +
      `${path.relative(ROOT, outPath)} (${fs.statSync(outPath).size} bytes)`);

    if (name === 'bert-base-uncased') {
      // encode() (one call per text) must give the same as encodeBatch()
      let same = 0;
      for (let i = 0; i < texts.length; i++) {
        const e = await t.encode(texts[i]);
        if (sameArr(e.getIds(), rows[i].ids) && JSON.stringify(toByteOffsets(texts[i], e.getOffsets(), 'encode')) === JSON.stringify(rows[i].offsets)) same++;
        else if (texts.length - same < 5) console.error(`  encode != encodeBatch on line ${i + 1}`);
      }
      console.log(`  encode() == encodeBatch(): ${same}/${texts.length}`);
      if (same !== texts.length) fail('encode() and encodeBatch() differ');
    }
  }

  fs.writeFileSync(path.join(FIX, 'options.json'), JSON.stringify(OPTIONS, null, 2) + '\n');

  // ---- tokenizer.json of all-MiniLM-L6-v2 vs our bert-base-uncased build ----------------------
  {
    const tj = tk.Tokenizer.fromFile(path.join(VOCAB, 'all-MiniLM-L6-v2', 'tokenizer.json'));
    tj.disablePadding();              // the file has fixed padding to 128
    tj.setTruncation(MAX_LENGTH);     // the file truncates at 128
    const encs = await encodeAll(tj, texts);
    let sameIds = 0, sameOff = 0;
    const diffs = [];
    for (let i = 0; i < texts.length; i++) {
      const ref = expected['bert-base-uncased'][i];
      const ids = encs[i].getIds();
      if (sameArr(ids, ref.ids)) sameIds++;
      else if (diffs.length < 10) diffs.push({ line: i + 1, text: texts[i].slice(0, 60), tokenizer_json: ids.slice(0, 20), vocab: ref.ids.slice(0, 20) });
      if (JSON.stringify(toByteOffsets(texts[i], encs[i].getOffsets(), 'tokenizer.json')) === JSON.stringify(ref.offsets)) sameOff++;
    }
    console.log(`all-MiniLM-L6-v2/tokenizer.json vs bert-base-uncased vocab build: ids equal ${sameIds}/${texts.length}, offsets equal ${sameOff}/${texts.length}`);
    for (const d of diffs) console.log('  differ: ' + JSON.stringify(d));
    if (sameIds !== texts.length) fail('tokenizer.json and vocab.txt builds differ');
  }

  // ---- llama.cpp test vectors (expected ids without [CLS]/[SEP]) ------------------------------
  {
    const inp = fs.readFileSync(path.join(FIX, 'llama-cpp/ggml-vocab-bert-bge.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n');
    if (inp[inp.length - 1] === '') inp.pop();
    const out = fs.readFileSync(path.join(FIX, 'llama-cpp/ggml-vocab-bert-bge.gguf.out'), 'utf8').split('\n');
    if (out[out.length - 1] === '') out.pop();
    if (inp.length !== out.length) fail(`llama.cpp .inp has ${inp.length} cases, .out ${out.length} lines`);
    let agree = 0;
    for (let k = 0; k < inp.length; k++) {
      const i = texts.indexOf(inp[k]);
      if (i < 0) { fail(`llama.cpp case ${k + 1} not in corpus`); continue; }
      const want = out[k].split(' ').filter((x) => x !== '').map(Number);
      const got = expected['bert-base-uncased'][i].ids.slice(1, -1);
      if (sameArr(want, got)) agree++;
      else console.log(`  llama.cpp case ${k + 1} (corpus line ${i + 1}) differs: ${JSON.stringify(inp[k]).slice(0, 60)} want ${want} got ${got}`);
    }
    console.log(`llama.cpp ggml-vocab-bert-bge: ${agree}/${inp.length} cases agree with expected-bert-base-uncased (minus [CLS]/[SEP])`);
    if (agree !== inp.length) fail('llama.cpp cases disagree');
  }

  // ---- pairs ----------------------------------------------------------------------------------
  {
    const rnd = mulberry32(20261123);
    const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
    const maxLens = [8, 16, 32, 128, 512];
    const all = texts.map((_, i) => i);
    const longer = all.filter((i) => texts[i].length >= 200);       // so that 128/512 truncate
    const t = await bertTokenizer('bert-base-uncased');
    const rows = [];
    for (let k = 0; k < 300; k++) {
      const N = maxLens[k % maxLens.length];
      const ia = (N >= 128 && rnd() < 0.6) ? pick(longer) : pick(all);
      const ib = (N >= 128 && rnd() < 0.4) ? pick(longer) : pick(all);
      t.setTruncation(N, { strategy: 'LongestFirst' });
      const e = await t.encode(texts[ia], texts[ib]);
      rows.push({ a: texts[ia], b: texts[ib], max_length: N, ids: e.getIds(), type_ids: e.getTypeIds() });
    }
    const outPath = path.join(FIX, 'pairs-bert-base-uncased.jsonl');
    fs.writeFileSync(outPath, rows.map(asciiJson).join('\n') + '\n');
    const atMax = rows.filter((r) => r.ids.length === r.max_length).length;
    console.log(`pairs: ${rows.length} lines (${atMax} truncated to max_length) -> ${path.relative(ROOT, outPath)} (${fs.statSync(outPath).size} bytes)`);
  }

  // ---- an MPNet tokenizer.json (tests/fixtures/vocab/mpnet-style, see tests/models/README.md) ----
  // Its vocabulary is bert-base-uncased's shifted by 4 (<s> <pad> </s> <unk> first), its
  // post_processor RobertaProcessing, its "<unk>" an added token matched in normalised text.
  // Most lines are bert-base-uncased's ids mapped ([CLS] -> <s> 0, [SEP] -> </s> 2, others + 4);
  // the lines where the crate gives something else (texts with "[CLS]", "<unk>", ...) are
  // written out whole, so the C test knows every line's ids without a second 3 MB file.
  {
    const tj = tk.Tokenizer.fromFile(path.join(VOCAB, 'mpnet-style', 'tokenizer.json'));
    tj.disablePadding();
    tj.setTruncation(MAX_LENGTH);
    const encs = await encodeAll(tj, texts);
    const map = (ids) => ids.map((id, k) => (k === 0 ? 0 : k === ids.length - 1 ? 2 : id + 4));
    const exceptions = [];
    for (let i = 0; i < texts.length; i++) {
      const ids = encs[i].getIds();
      if (!sameArr(ids, map(expected['bert-base-uncased'][i].ids))) exceptions.push({ line: i + 1, ids });
    }
    const outPath = path.join(FIX, 'expected-mpnet-style-exceptions.jsonl');
    fs.writeFileSync(outPath, exceptions.map((r) => JSON.stringify(r)).join('\n') + '\n');
    console.log(`mpnet-style/tokenizer.json: ${texts.length - exceptions.length}/${texts.length} lines are ` +
      `bert-base-uncased's ids mapped, ${exceptions.length} others -> ${path.relative(ROOT, outPath)}`);

    const rnd = mulberry32(20261206);
    const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
    const rows = [];
    for (let k = 0; k < 100; k++) {
      const N = [8, 16, 32, 128, 512][k % 5];
      const ia = pick(texts.map((_, i) => i)), ib = pick(texts.map((_, i) => i));
      tj.setTruncation(N, { strategy: 'LongestFirst' });
      const e = await tj.encode(texts[ia], texts[ib]);
      rows.push({ a: texts[ia], b: texts[ib], max_length: N, ids: e.getIds(), type_ids: e.getTypeIds() });
    }
    // added tokens matched after normalisation: case, accents, controls, CJK padding, overlaps
    const cases = ['<UNK> x', 'a<Unk>b', '<\u00d9NK>', '<un\u0000k>', '<un\tk>', '<<unk>>', '<unk<UNK>',
      '<UNK', '</s><UNK></s>', 'x <mask> <MASK> y', '<s>hi</s>', '\u00dcnk <UnK>', '<UNK><UNK><unk>',
      '\u4e2d<unk>\u6587', '<u\u0301nk>', '<unK>\u00ad', '<un\u00adk>', '\u01c5<UNK>', '<UN K>',
      '[UNK] [unk] <UNK>', '<\u0130NK>', 'x\u3000<UNK>\u3000y', '<unk>'.repeat(40)];
    tj.setTruncation(MAX_LENGTH);
    const caseRows = [];
    for (const c of cases) caseRows.push({ text: c, ids: (await tj.encode(c)).getIds() });
    const casesPath = path.join(FIX, 'cases-mpnet-style.jsonl');
    fs.writeFileSync(casesPath, caseRows.map(asciiJson).join('\n') + '\n');
    console.log(`mpnet-style cases: ${caseRows.length} lines -> ${path.relative(ROOT, casesPath)}`);

    const pairsPath = path.join(FIX, 'pairs-mpnet-style.jsonl');
    fs.writeFileSync(pairsPath, rows.map(asciiJson).join('\n') + '\n');
    console.log(`mpnet-style pairs: ${rows.length} lines -> ${path.relative(ROOT, pairsPath)} (${fs.statSync(pairsPath).size} bytes)`);
  }

  // ---- consistency ----------------------------------------------------------------------------
  for (const name of Object.keys(OPTIONS)) {
    const n = fs.readFileSync(path.join(FIX, `expected-${name}.jsonl`), 'utf8').split('\n').length - 1;
    if (n !== texts.length) fail(`expected-${name}.jsonl has ${n} lines, corpus ${texts.length}`);
  }
  if (failures) { console.error(`make_expected: ${failures} check(s) failed`); process.exit(1); }
  console.log('make_expected: all checks passed');
}

main().catch((e) => { console.error(e); process.exit(1); });
