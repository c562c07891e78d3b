// Bounded load test on loopback: N concurrent clients stream chat completions for S seconds.
// Prints JSON: requests, errors, tokens, p50/p99 time to first token (client side), and the
// server's own overhead per streamed token from its /metrics histogram.
// Usage: node load_test.mjs http://127.0.0.1:PORT [--clients 32] [--seconds 10]
const base = process.argv[2];
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const clients = arg('--clients', 32);
const seconds = arg('--seconds', 10);
const body = JSON.stringify({
  model: 'ossa-test', stream: true, messages: [{ role: 'user', content: 'load test' }],
});
const metricValue = (text, name) => Number((text.match(new RegExp(`^${name} (\\S+)$`, 'm')) ?? [])[1] ?? NaN);
const before = await (await fetch(`${base}/metrics`)).text();
const ttft = [];
let requests = 0, errors = 0, tokens = 0;
const firstErrors = [];
const end = Date.now() + seconds * 1000;

async function one() {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body,
  });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buf = '', first = true, done = false, text = '';
  for await (const part of res.body) {
    buf += decoder.decode(part, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!ev.startsWith('data: ')) continue;
      const data = ev.slice(6);
      if (data === '[DONE]') { done = true; continue; }
      const j = JSON.parse(data);
      const d = j.choices[0]?.delta ?? {};
      if ((d.content || d.reasoning_content) && first) { ttft.push(performance.now() - t0); first = false; }
      if (d.content) text += d.content;
      if (d.content || d.reasoning_content) tokens++;
    }
  }
  if (!done || !text.startsWith('one two')) throw new Error(`incomplete stream: ${text.slice(0, 40)}`);
}

async function worker() {
  while (Date.now() < end) {
    try { await one(); requests++; } catch (e) { errors++; if (firstErrors.length < 3) firstErrors.push(String(e)); }
  }
}
await Promise.all(Array.from({ length: clients }, worker));

const metrics = await (await fetch(`${base}/metrics`)).text();
const value = (name) => metricValue(metrics, name);
const delta = (name) => value(name) - metricValue(before, name);
const buckets = [...metrics.matchAll(/^ossa_server_overhead_per_token_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)]
  .map((m) => [Number(m[1]), Number(m[2])]);
const count = value('ossa_server_overhead_per_token_seconds_count');
const bucketQuantile = (q) => (buckets.find(([, c]) => c >= q * count) ?? [NaN])[0] * 1e6;
ttft.sort((a, b) => a - b);
const pct = (q) => ttft.length ? ttft[Math.min(ttft.length - 1, Math.floor(q * ttft.length))] : NaN;
console.log(JSON.stringify({
  clients, seconds, requests, errors, streamed_deltas: tokens, first_errors: firstErrors,
  ttft_ms: { p50: +pct(0.5).toFixed(2), p99: +pct(0.99).toFixed(2) },
  // The event-loop thread's CPU time over the run per generated token: everything the server
  // does besides the engine (HTTP, mapping, prompt rendering, parsing, encoding, writing).
  server_cpu_us_per_token: +(delta('ossa_server_io_cpu_seconds_total') / delta('ossa_generated_tokens_total') * 1e6).toFixed(2),
  server_overhead_us_per_token: {
    mean: +(value('ossa_server_overhead_per_token_seconds_sum') / count * 1e6).toFixed(2),
    p50_bucket_le: bucketQuantile(0.5), p99_bucket_le: bucketQuantile(0.99),
  },
}));
process.exit(errors === 0 ? 0 : 1);
