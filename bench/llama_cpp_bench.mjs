// llama.cpp (node-llama-cpp 3.22.1's prebuilt CPU build, installed by
// tests/scripts/ggml_ref/install.sh) embedding texts one call each, as
// sqlite-lembed's lembed() does: for bench/run.py section j.
//   node bench/llama_cpp_bench.mjs NODE_MODULES MODEL.gguf TEXTS ROWS THREADS REPS
// Prints one JSON line: rows, best seconds of REPS passes, sentences/s.
import fs from "fs";
import path from "path";
import {pathToFileURL} from "url";

const [modules, modelPath, textsPath, rows, threads, reps] = process.argv.slice(2);
const {getLlama} = await import(pathToFileURL(path.join(modules, "node-llama-cpp", "dist", "index.js")).href);
const texts = fs.readFileSync(textsPath, "utf8").split("\n").filter(Boolean).slice(0, +rows);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const ctx = await model.createEmbeddingContext({contextSize: 512, threads: +threads});
for (const t of texts.slice(0, 5)) await ctx.getEmbeddingFor(t);
let best = Infinity;
for (let r = 0; r < +reps; r++) {
  const t0 = performance.now();
  for (const t of texts) await ctx.getEmbeddingFor(t);
  best = Math.min(best, (performance.now() - t0) / 1000);
}
console.log(JSON.stringify({kind: "llama_cpp", rows: texts.length, seconds: best, sps: texts.length / best,
                            threads: +threads}));
await ctx.dispose();
await model.dispose();
await llama.dispose();
