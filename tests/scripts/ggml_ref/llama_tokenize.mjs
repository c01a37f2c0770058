// llama.cpp's token ids for texts, as sqlite-lembed asks for them: llama_tokenize with
// add_special and parse_special (special tokens typed in a text are those tokens).
//
//   node tests/scripts/ggml_ref/llama_tokenize.mjs MODEL.gguf CASES.jsonl OUT.jsonl
//
// CASES.jsonl: one JSON object a line with a "text" (tests/fixtures/tokenizer/*/cases.jsonl).
// OUT.jsonl: the same lines as {"text": ..., "ids": [llama.cpp's ids]}. node-llama-cpp's
// model.tokenize(text, true) parses special tokens and adds none; the frame is added here as
// llama_tokenize's add_special does for the file: tokenizer.ggml.add_bos_token /
// add_eos_token (a UGM vocabulary's default: no BOS, EOS), [CLS]/[SEP] for WPM.
import {getLlama, readGgufFileInfo, LlamaLogLevel} from "node-llama-cpp";
import fs from "node:fs";

const [modelPath, casesPath, outPath] = process.argv.slice(2);
if (!outPath) {
    process.stderr.write("usage: node llama_tokenize.mjs MODEL.gguf CASES.jsonl OUT.jsonl\n");
    process.exit(2);
}
const texts = fs.readFileSync(casesPath, "utf8").split("\n").filter((l) => l.length).map((l) => JSON.parse(l).text);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const info = await readGgufFileInfo(modelPath, {readTensorInfo: false});
const ggml = info.metadata.tokenizer?.ggml ?? {};
const model = await llama.loadModel({modelPath});
const ugm = model.vocabularyType === "ugm", wpm = model.vocabularyType === "wpm";
const addBos = ggml.add_bos_token ?? wpm;
const addEos = ggml.add_eos_token ?? ugm;
const tokens = texts.map((t) => {
    const ids = Array.from(model.tokenize(t, true)).map(Number);
    if (addBos) ids.unshift(Number(model.tokens.bos));
    if (addEos) ids.push(Number(wpm ? model.tokens.sep : model.tokens.eos));
    return ids;
});
fs.writeFileSync(outPath, texts.map((text, i) => JSON.stringify({text, ids: tokens[i]}) + "\n").join(""));
await model.dispose();
await llama.dispose();
