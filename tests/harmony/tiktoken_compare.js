// Encodes the benchmark corpus (bench_corpus.hpp, rebuilt identically here) with the npm
// `tiktoken` package (WASM build of OpenAI's Rust tiktoken) and prints MB/s, for comparison with
// ossa_bench_harmony's BM_TokenizerEncodeOrdinary. Not part of the build or of ctest.
//   mkdir /tmp/tk && (cd /tmp/tk && npm install tiktoken@1.0.22)
//   NODE_PATH=/tmp/tk/node_modules node tests/harmony/tiktoken_compare.js [ids.json]
// With ids.json (the output of `ossa tokenize < corpus`), it also checks that the ids agree.
const fs = require("fs");
const path = require("path");
const { get_encoding } = require("tiktoken");

const data = path.join(__dirname, "..", "data");
const dir = path.join(data, "harmony", "upstream-test-data");
const parts = fs.readdirSync(dir).filter((n) => n.endsWith(".txt")).sort()
  .map((n) => fs.readFileSync(path.join(dir, n), "utf8"));
for (const v of JSON.parse(fs.readFileSync(path.join(data, "tokenizer", "vectors.json"), "utf8")).vectors)
  if (v.encoding === "o200k_base") parts.push(v.text);
const one = parts.join("\n");
const corpus = [one, one, one, one].join("\n");
const bytes = Buffer.byteLength(corpus, "utf8");

if (process.argv[2] === "--print") {
  process.stdout.write(corpus);
  process.exit(0);
}
const enc = get_encoding("o200k_base");
let ids = enc.encode_ordinary(corpus);
const times = [];
for (let i = 0; i < 30; i++) {
  const t0 = process.hrtime.bigint();
  ids = enc.encode_ordinary(corpus);
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(JSON.stringify({ bytes, tokens: ids.length, median_s: median, mb_per_s: bytes / median / 1e6 }));
if (process.argv[2]) {
  const ours = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const same = ours.length === ids.length && ours.every((x, i) => x === ids[i]);
  console.log(JSON.stringify({ ids_identical: same }));
  if (!same) process.exit(1);
}
enc.free();
