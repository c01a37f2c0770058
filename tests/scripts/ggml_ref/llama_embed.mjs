// llama.cpp's pooled embeddings (through node-llama-cpp's prebuilt CPU build) as a reference
// for the GGUF fixtures.
//
//   node tests/scripts/ggml_ref/llama_embed.mjs MODEL.gguf TEXTS.json OUT.json [--pooling P]
//
// TEXTS.json is a JSON array of strings. OUT.json gets
//   {"model": basename, "llama_cpp": {...versions...}, "pooling": {...}, "context_size": n,
//    "threads": 1, "texts": [...], "tokens": [[ids]...], "vectors": [[floats]...]}
// vectors[i] is what LlamaEmbeddingContext.getEmbeddingFor(texts[i]) returns: the pooled,
// NOT normalized output of llama.cpp (llama_get_embeddings_seq; with pooling "none",
// llama_get_embeddings_ith(-1), the last token's), each float32 written in full (JSON
// numbers that parse back to the same float32). tokens[i] is the exact token sequence
// evaluated: model.tokenize(text) plus the [CLS]/[SEP] node-llama-cpp adds for a WPM vocab
// (for a UGM vocab: </s>, and <s> before the text when llama.cpp's add_bos for the file says so).
//
// --pooling none|mean|cls|last overrides <arch>.pooling_type at load (llama.cpp kv override,
// the file is not changed). Without it, llama.cpp uses the file's pooling_type, or NONE when
// the key is absent (llama-context.cpp). A BERT file written from a directory without a
// sentence-transformers Pooling module has no pooling_type: pass --pooling cls to get what
// sqlite-embed's default (CLS) computes.
//
// Must be run with node_modules resolvable (the script sits next to them). 1 thread,
// context size = the model's training context (max_position_embeddings / context_length).
import {getLlama, getModuleVersion, readGgufFileInfo, LlamaLogLevel} from "node-llama-cpp";
import fs from "node:fs";
import path from "node:path";

const POOLING = {none: 0, mean: 1, cls: 2, last: 3};
const POOLING_NAME = ["none", "mean", "cls", "last", "rank"];

function usage(msg) {
    if (msg) process.stderr.write(`llama_embed.mjs: ${msg}\n`);
    process.stderr.write("usage: node llama_embed.mjs MODEL.gguf TEXTS.json OUT.json [--pooling none|mean|cls|last]\n");
    process.exit(2);
}

const argv = process.argv.slice(2);
let pooling = null;
const pos = [];
for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--pooling") {
        pooling = argv[++i];
        if (!(pooling in POOLING)) usage(`unknown pooling ${pooling}`);
    } else pos.push(argv[i]);
}
if (pos.length !== 3) usage();
const [modelPath, textsPath, outPath] = pos;
const texts = JSON.parse(fs.readFileSync(textsPath, "utf8"));
if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string"))
    usage(`${textsPath} is not a JSON array of strings`);

const nlcVersion = await getModuleVersion();

const llama = await getLlama({
    gpu: false, build: "never", logLevel: LlamaLogLevel.warn,
    logger: (level, message) => process.stderr.write(`[llama.cpp ${level}] ${message}${message.endsWith("\n") ? "" : "\n"}`)
});

// the arch key prefix, read with node-llama-cpp's own GGUF reader
const info = await readGgufFileInfo(modelPath, {readTensorInfo: false});
const arch = info.metadata.general.architecture;
const filePooling = info.metadata[arch]?.pooling_type ?? null;

const loadOptions = {modelPath};
if (pooling != null) loadOptions.metadataOverrides = {[arch]: {pooling_type: POOLING[pooling]}};
const model = await llama.loadModel(loadOptions);
const contextSize = model.trainContextSize;
const ctx = await model.createEmbeddingContext({contextSize, batchSize: contextSize, threads: 1});

// node-llama-cpp never puts BOS before a UGM (SentencePiece Unigram, "t5") text
// (tokenizerUtils.js: resolveBeginningTokenToPrepend), where llama.cpp's own
// llama_tokenize(add_special) puts it when llama.cpp's add_bos for the file is true
// (llama_vocab_get_add_bos, read here through shouldPrependBosToken: the file's
// tokenizer.ggml.add_bos_token, as an XLM-R file such as bge-m3 or multilingual-e5 has it,
// else the vocabulary kind's default): then the tokens are given with it.
const ugmBos = model.vocabularyType === "ugm" && model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
const tokens = [];
const vectors = [];
for (const text of texts) {
    // the token sequence getEmbeddingFor evaluates (LlamaEmbeddingContext.getEmbeddingFor:
    // tokenizer(text, false) then _prepareInput adds BOS(CLS)/SEP for WPM vocabularies)
    const toks = Array.from(model.tokenize(text, false));
    if (ugmBos != null) toks.unshift(ugmBos);
    ctx._prepareInput(toks);
    if (ugmBos == null && toks.length !== ctx.calculateInputLength(text))
        throw new Error("token sequence does not match calculateInputLength");
    const e = await ctx.getEmbeddingFor(ugmBos != null ? toks.slice() : text);
    tokens.push(toks.map(Number));
    vectors.push(Array.from(e.vector));
}

const usedPooling = pooling != null ? POOLING[pooling] : (filePooling ?? 0);
const out = {
    model: path.basename(modelPath),
    llama_cpp: {
        node_llama_cpp: nlcVersion,
        llama_cpp_release: llama.llamaCppRelease,
        build_type: llama.buildType,
        system_info: llama.systemInfo
    },
    pooling: {
        file: filePooling,
        override: pooling != null ? POOLING[pooling] : null,
        used: usedPooling,
        used_name: POOLING_NAME[usedPooling] ?? String(usedPooling)
    },
    normalized: false,
    context_size: contextSize,
    threads: 1,
    texts,
    tokens,
    vectors
};
fs.writeFileSync(outPath, JSON.stringify(out, null, 1) + "\n");
await ctx.dispose();
await model.dispose();
await llama.dispose();
