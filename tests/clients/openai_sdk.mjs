// The official `openai` SDK against the test server (tests/server/client_test.cpp starts it
// with script.json). Usage: node openai_sdk.mjs http://127.0.0.1:PORT/v1
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: process.env.OSSA_API_KEY ?? 'none' });
const model = 'ossa-test';
const check = (name) => console.log(`ok - ${name}`);

// Models.
const models = await client.models.list();
assert.ok(models.data.some((m) => m.id === model), JSON.stringify(models.data));
check('models.list');

// Chat, non-streaming: reasoning apart from the answer, usage with cached tokens.
const hello = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }] });
assert.equal(hello.choices[0].message.content, 'Hello from ossa.');
assert.equal(hello.choices[0].message.reasoning_content, 'Greet the user.');
assert.equal(hello.choices[0].finish_reason, 'stop');
assert.ok(hello.usage.prompt_tokens > 0 && hello.usage.completion_tokens > 0);
assert.equal(typeof hello.usage.prompt_tokens_details.cached_tokens, 'number');
check('chat.completions.create');

// The same again: the prompt is a cached prefix now.
const again = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }] });
assert.ok(again.usage.prompt_tokens_details.cached_tokens > 0, JSON.stringify(again.usage));
check('prefix cache reported in usage');

// Chat, streaming.
const stream = await client.chat.completions.create({
  model, messages: [{ role: 'user', content: 'Say hello' }], stream: true,
  stream_options: { include_usage: true },
});
let text = '', reasoning = '', finish = null, usage = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  const c = chunk.choices[0];
  if (!c) continue;
  text += c.delta.content ?? '';
  reasoning += c.delta.reasoning_content ?? '';
  finish = c.finish_reason ?? finish;
}
assert.equal(text, 'Hello from ossa.');
assert.equal(reasoning, 'Greet the user.');
assert.equal(finish, 'stop');
assert.ok(usage && usage.completion_tokens > 0);
check('chat.completions.create stream');

// A tool-call round trip; the first turn through the SDK's streaming helper, which assembles
// the tool_calls fragments itself.
const tools = [{
  type: 'function',
  function: {
    name: 'get_weather', description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];
const messages = [{ role: 'user', content: 'Weather in Oslo?' }];
const runner = client.chat.completions.stream({ model, messages, tools });
const first = await runner.finalChatCompletion();
assert.equal(first.choices[0].finish_reason, 'tool_calls');
const call = first.choices[0].message.tool_calls[0];
assert.equal(call.function.name, 'get_weather');
assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Oslo' });
messages.push(first.choices[0].message);
messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ temp: 3 }) });
const second = await client.chat.completions.create({ model, messages, tools });
assert.equal(second.choices[0].message.content, 'It is 3 degrees in Oslo.');
check('tool-call round trip');

// Responses with previous_response_id, and retrieval by id.
const a = await client.responses.create({ model, input: 'My favourite colour is blue.' });
assert.equal(a.output_text, 'Noted.');
const b = await client.responses.create({ model, input: 'Which colour did I say?', previous_response_id: a.id });
assert.equal(b.output_text, 'You said blue.');
const fresh = await client.responses.create({ model, input: 'Which colour did I say?' });
assert.equal(fresh.output_text, 'I do not know.');
const got = await client.responses.retrieve(a.id);
assert.equal(got.id, a.id);
check('responses with previous_response_id');

// Responses streaming through the SDK's helper (it checks the event order).
const rs = client.responses.stream({ model, input: 'Say hello' });
let deltas = '';
rs.on('response.output_text.delta', (e) => { deltas += e.delta; });
const final = await rs.finalResponse();
assert.equal(deltas, 'Hello from ossa.');
assert.equal(final.output_text, 'Hello from ossa.');
assert.equal(final.output[0].type, 'reasoning');
check('responses.stream');

// A server-side python call: the server runs the code in its sandbox and answers.
const py = await client.responses.create({
  model, input: 'compute 6 times 7', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }],
});
const ci = py.output.find((o) => o.type === 'code_interpreter_call');
assert.ok(ci, JSON.stringify(py.output));
assert.equal(ci.code, 'print(6*7)');
assert.match(ci.outputs[0].logs, /42/);
assert.equal(py.output_text, 'The answer is 42.');
check('server-side python (code_interpreter)');

// Errors in OpenAI's shape reach the SDK as typed errors.
await assert.rejects(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
  (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
await assert.rejects(client.responses.retrieve('resp_missing'), (e) => e instanceof OpenAI.NotFoundError);
check('errors');
