// The OpenAI Agents SDK running an agent with one function tool against the test server.
// Usage: node agents_sdk.mjs http://127.0.0.1:PORT/v1
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { Agent, run, setDefaultOpenAIClient, setTracingDisabled, tool } from '@openai/agents';
import { z } from 'zod';

setTracingDisabled(true);  // traces would go to OpenAI's servers
setDefaultOpenAIClient(new OpenAI({ baseURL: process.argv[2], apiKey: 'none' }));

let calls = 0;
const add = tool({
  name: 'add',
  description: 'Add two numbers',
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: async ({ a, b }) => { calls++; return String(a + b); },
});
const agent = new Agent({ name: 'Calculator', instructions: 'Use the add tool for sums.', model: 'ossa-test', tools: [add] });
const result = await run(agent, 'What is 2 plus 3?');
assert.equal(calls, 1);
assert.equal(result.finalOutput, '2 plus 3 is 5.');
console.log('ok - agent with one function tool:', result.finalOutput);
