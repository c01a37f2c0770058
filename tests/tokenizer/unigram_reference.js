#!/usr/bin/env node
// Reference tokenization for the Unigram (SentencePiece / XLM-R style) tokenizer.json fixtures:
// the Hugging Face Rust `tokenizers` crate through its N-API binding @anush008/tokenizers.
// make_unigram_fixtures.py runs it; it can also be run by hand:
//
//   node tests/tokenizer/unigram_reference.js TOKENIZER_JSON [TOKENIZER_JSON...] < texts.json > out.json
//
// stdin:  a JSON array of strings.
// stdout: {"binding": "<version>",
//          "saved": ["<the tokenizer as the crate serialises it back (save, not pretty)>", ...],
//          "results": [[{"ids":[...],"tokens":[...],"offsets":[[s,e],...]}, ...per text], ...per file]}
// Each text is encoded alone (encode(), add_special_tokens true), with padding and truncation
// disabled. Offsets are converted to UTF-8 byte offsets [start, end) into the original text.
//
// The binding returns offsets in Unicode code points (its encode() calls the crate's
// encode_char_offsets). That is checked here on a probe text before anything else: the script
// exits with status 1 if a 4-byte character is not exactly one unit wide.
//
// The binding is looked up in $PEERS_NODE (default ~/.cache/embed-peers/node); install it with
//   npm install --prefix ~/.cache/embed-peers/node @anush008/tokenizers@0.6.0
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const PEERS_NODE = process.env.PEERS_NODE || path.join(os.homedir(), '.cache/embed-peers/node');
const tk = require(require.resolve('@anush008/tokenizers', { paths: [PEERS_NODE] }));
const TK_VERSION = require(require.resolve('@anush008/tokenizers/package.json', { paths: [PEERS_NODE] })).version;

// UTF-8 byte offset of each code point boundary of s (length = number of code points + 1).
function bytePrefix(s) {
  const pre = [0];
  for (const ch of s) {          // iterates code points, not UTF-16 units
    const cp = ch.codePointAt(0);
    pre.push(pre[pre.length - 1] + (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4));
  }
  return pre;
}

async function encodeOne(t, text) {
  const enc = await t.encode(text, null, { addSpecialTokens: true });
  const pre = bytePrefix(text);
  const ncp = pre.length - 1;
  const offsets = enc.getOffsets().map(([s, e]) => {
    if (!(s >= 0 && s <= e && e <= ncp)) throw new Error(`offset [${s},${e}] outside ${ncp} code points: ${JSON.stringify(text)}`);
    return [pre[s], pre[e]];
  });
  return { ids: Array.from(enc.getIds(), Number), tokens: enc.getTokens(), offsets };
}

async function main() {
  const files = process.argv.slice(2);
  if (!files.length) throw new Error('usage: unigram_reference.js TOKENIZER_JSON... < texts.json');
  const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = { binding: TK_VERSION, saved: [], results: [] };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unigram-ref-'));
  try {
    for (const f of files) {
      const t = tk.Tokenizer.fromFile(f);
      t.disablePadding();
      t.disableTruncation();
      const saved = path.join(tmp, 'saved.json');
      t.save(saved, false);
      out.saved.push(fs.readFileSync(saved, 'utf8'));
      // Units probe: "a" + U+1F999 (astral, 2 UTF-16 units, 4 bytes) + "b". Whatever the
      // pieces are, the offsets' largest end must be 3 if they are code points (4 if UTF-16
      // units, 6 if bytes).
      const probe = await t.encode('a\u{1F999}b', null, { addSpecialTokens: false });
      const maxEnd = Math.max(...probe.getOffsets().map((o) => o[1]));
      if (maxEnd !== 3) throw new Error(`offsets are not code points (probe max end ${maxEnd})`);
      const res = [];
      for (const s of texts) res.push(await encodeOne(t, s));   // one at a time: no batch padding
      out.results.push(res);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
