// llama.cpp's token ids for texts, as sqlite-lembed asks for them: llama_tokenize with
// add_special and parse_special (special tokens typed in a text are those tokens).
//
//   node tests/scripts/ggml_ref/llama_tokenize.mjs MODEL.gguf CASES.jsonl OUT.jsonl [LONG.json SIZE]
//
// CASES.jsonl: one JSON object a line with a "text" (tests/fixtures/tokenizer/*/cases.jsonl).
// OUT.jsonl: the same lines as {"text": ..., "ids": [llama.cpp's ids]}. node-llama-cpp's
// model.tokenize(text, true) parses special tokens and adds none; the frame is added here as
// llama_tokenize's add_special does for the file: llama.cpp's add_bos / add_eos for it (its
// tokenizer.ggml.add_bos_token / add_eos_token, else a UGM vocabulary's default: no BOS, EOS),
// [CLS]/[SEP] for WPM.
// LONG.json: one text of at least SIZE bytes, made as LONG_RULE says (longer than the tokenizer's
// windows), and its ids' count, FNV-1a 64 (over each id's 4 bytes, little-endian), head and tail.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import fs from "node:fs";

const [modelPath, casesPath, outPath, longPath, longSize] = process.argv.slice(2);
const LONG_RULE = "the texts of CASES.jsonl without '<', in file order, each followed by one space, " +
    "cycled until the text reaches size bytes (UTF-8); ids of the whole text with the frame, no truncation";
if (!outPath) {
    process.stderr.write("usage: node llama_tokenize.mjs MODEL.gguf CASES.jsonl OUT.jsonl\n");
    process.exit(2);
}
const texts = fs.readFileSync(casesPath, "utf8").split("\n").filter((l) => l.length).map((l) => JSON.parse(l).text);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const wpm = model.vocabularyType === "wpm";
// llama.cpp's own add_bos / add_eos for the file (llama_vocab_get_add_bos / _add_eos: the file's
// keys, else the vocabulary kind's defaults); a WPM vocabulary's [SEP] is its add_sep.
const addBos = model.tokens.shouldPrependBosToken;
const addEos = wpm || model.tokens.shouldAppendEosToken;
const tokens = texts.map((t) => {
    const ids = Array.from(model.tokenize(t, true)).map(Number);
    if (addBos) ids.unshift(Number(model.tokens.bos));
    if (addEos) ids.push(Number(wpm ? model.tokens.sep : model.tokens.eos));
    return ids;
});
fs.writeFileSync(outPath, texts.map((text, i) => JSON.stringify({text, ids: tokens[i]}) + "\n").join(""));
if (longPath) {
    const size = Number(longSize), kept = texts.filter((t) => !t.includes("<"));
    let parts = [], bytes = 0;
    for (let i = 0; bytes < size; i++) {
        const t = kept[i % kept.length] + " ";
        parts.push(t);
        bytes += Buffer.byteLength(t, "utf8");
    }
    const text = parts.join("");
    const ids = Array.from(model.tokenize(text, true)).map(Number);
    if (addBos) ids.unshift(Number(model.tokens.bos));
    if (addEos) ids.push(Number(wpm ? model.tokens.sep : model.tokens.eos));
    let h = 0xcbf29ce484222325n;
    for (const id of ids)
        for (let b = 0; b < 4; b++) h = ((h ^ BigInt((id >>> (8 * b)) & 0xff)) * 0x100000001b3n) & 0xffffffffffffffffn;
    fs.writeFileSync(longPath, JSON.stringify({rule: LONG_RULE, size, bytes, n: ids.length,
        ids_fnv1a64: h.toString(16).padStart(16, "0"), head: ids.slice(0, 24), tail: ids.slice(-24)}) + "\n");
}
await model.dispose();
await llama.dispose();
