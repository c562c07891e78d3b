// The web UI's chats in headless Chromium against ossa_scripted_server (`ossa serve` over a
// scripted model, tests/server/webui_browser_test.cpp runs this): enter the API key, stream an answer,
// a python tool card with its result (and a failing one), stop a turn (the server cancels it),
// model markup shown as text, reopen and resume a session after a server restart with its
// settings, delete a session. Screenshots go to --shots DIR.
// Usage: node webui_browser.mjs --server PATH --shots DIR [--chromium PATH] [--chromedriver PATH]
// Exit codes: 0 passed, 1 failed, 77 Chromium cannot start here (one line says why).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer as startServerProcess, stopServer } from './server_process.mjs';
import { Browser, WebDriverError, which } from './webdriver.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const serverBin = arg('--server');
const shots = arg('--shots');
const chromium = arg('--chromium') || process.env.OSSA_CHROMIUM || which(['chromium', 'chromium-browser', 'google-chrome']);
const chromedriver = arg('--chromedriver') || process.env.OSSA_CHROMEDRIVER || which(['chromedriver']);
const check = (name) => console.log(`ok - ${name}`);
const skip = (why) => {
  console.log(`SKIP: ${why}`);
  process.exit(77);
};

if (!serverBin || !shots) {
  console.error('usage: node webui_browser.mjs --server PATH --shots DIR');
  process.exit(2);
}
if (!chromium || !chromedriver)
  skip('Chromium cannot start: chromium or chromedriver is not installed (scripts/setup.sh installs chromium and chromium-driver)');
mkdirSync(shots, { recursive: true });

// The scripted model: each rule answers the last user or tool message containing `when`.
const LONG = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
const HOSTILE = 'Here: <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> <b>bold</b>';
const rules = [
  { when: 'python to=assistant', context: 'os._exit',
    reply: '<|channel|>final<|message|>The interpreter crashed.<|return|>' },
  { when: 'crash the interpreter',
    reply: '<|channel|>analysis to=python code<|message|>import os\nos._exit(3)<|call|>' },
  { when: 'python to=assistant', context: '42',
    reply: '<|channel|>final<|message|>The answer is 42.<|return|>' },
  { when: 'compute 6 times 7',
    reply: '<|channel|>analysis<|message|>Let me run it.<|end|><|start|>assistant<|channel|>analysis to=python code<|message|>print(6*7)<|call|>' },
  { when: 'long story', reply: `<|channel|>final<|message|>${LONG}<|return|>` },
  { when: 'show html',
    reply: `<|channel|>analysis<|message|><img src=y onerror="window.__xss=3"><|end|><|start|>assistant<|channel|>final<|message|>${HOSTILE}<|return|>` },
  { when: 'favourite colour is', reply: '<|channel|>final<|message|>Noted.<|return|>' },
  { when: 'Which colour', context: 'favourite colour is blue',
    reply: '<|channel|>final<|message|>You said blue.<|return|>' },
  { when: 'Which colour', reply: '<|channel|>final<|message|>I do not know.<|return|>' },
  { when: '', reply: '<|channel|>final<|message|>Hello from ossa.<|return|>' },
];
const work = mkdtempSync(join(tmpdir(), 'ossa-webui-'));
const scriptFile = join(work, 'script.json');
writeFileSync(scriptFile, JSON.stringify(rules));
const data = join(work, 'data');
mkdirSync(data);
const KEY = 'webui-test-key-' + process.pid;

// Starts the server (on `port`, 0 for any); resolves with {proc, url}.
function startServer(port) {
  return startServerProcess(serverBin, ['--port', String(port), '--data-dir', data, '--workspace', data,
                                        '--script', scriptFile, '--tools', 'python', '--api-key', KEY,
                                        '--per-token-us', '5000']);
}

async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${KEY}` } })).text();
  const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

let browser;
try {
  browser = await Browser.start({ chromium, chromedriver });
} catch (e) {
  if (e instanceof WebDriverError) skip(e.message);
  throw e;
}

let server;
let failed = false;
const b = browser;
const lastTurnText = (sel) =>
  `const t = document.querySelectorAll("#transcript .turn"); const e = t.length && t[t.length - 1].querySelector(${JSON.stringify(sel)}); return e ? e.textContent : null;`;
const ask = async (text) => {
  await b.exec('document.getElementById("prompt").value = ""');
  await b.type('#prompt', text);
  await b.click('#send');
};
const turnDone = 'return document.getElementById("send").disabled === false && document.querySelectorAll("#transcript .turn").length > 0;';

try {
  server = await startServer(0);
  const port = new URL(server.url).port;

  // The page asks for the key; the served page never holds it.
  const html = await (await fetch(server.url + '/')).text();
  assert.ok(!html.includes(KEY));
  await b.navigate(server.url + '/');
  await b.waitFor('the key dialog', 'return !document.getElementById("key-dialog").hidden');
  await b.screenshot(join(shots, '01-api-key.png'));
  await b.type('#key-input', KEY);
  await b.click('#key-save');
  await b.waitFor('the model name', 'return document.getElementById("model").textContent === "ossa-test"');
  assert.equal(await b.exec(`return sessionStorage.getItem("ossa.apiKey")`), KEY);
  check('the page asks for the API key and keeps it in sessionStorage');
  // These are chats (the Responses API, stored responses); agent sessions are
  // webui_agent_browser.mjs's.
  await b.exec('const k = document.getElementById("kind"); k.value = "chat"; k.dispatchEvent(new Event("change"));');

  // A task with a server-side python call: a tool card with arguments, status, duration, result.
  await ask('Please compute 6 times 7');
  await b.waitFor('the end of the turn', turnDone, 15000);
  assert.equal(await b.exec(lastTurnText('.answer')), 'The answer is 42.');
  const card = await b.exec(`const c = document.querySelector("#transcript .tool-card"); return c && {
    name: c.querySelector(".tool-name").textContent, status: c.dataset.status,
    args: c.querySelector(".tool-args").textContent, result: c.querySelector(".tool-result").textContent,
    duration: c.querySelector(".tool-duration").textContent };`);
  assert.deepEqual({ ...card, duration: undefined },
                   { name: 'python', status: 'completed', args: 'print(6*7)', result: '42\n', duration: undefined });
  assert.match(card.duration, /^\d+(\.\d+)? m?s$/);
  assert.equal(await b.exec(lastTurnText('details.reasoning .reasoning-text')), 'Let me run it.');
  assert.equal(await b.exec('return document.querySelector("#transcript details.reasoning").open'), false);
  const stats = await b.exec(lastTurnText('.turn-stats'));
  assert.match(stats, /^\d+ in · \d+ out \(\d+ reasoning\) · [\d.]+ tok\/s · [\d.]+ s$/);
  await b.screenshot(join(shots, '02-tool-card.png'));
  check('a python call is a card with its arguments, status, duration and result; tokens and tok/s');

  // A call that fails is a failed card with the sandbox's error.
  await ask('Now crash the interpreter');
  await b.waitFor('the failed card', `const c = document.querySelectorAll("#transcript .tool-card"); return c.length === 2 && c[1].dataset.status === "failed" && c[1].querySelector(".tool-result").textContent;`, 15000)
    .then((text) => assert.match(text, /^\[ERROR\] The Python interpreter .* while running this cell/));
  await b.waitFor('the end of the turn', turnDone);
  assert.equal(await b.exec(lastTurnText('.answer')), 'The interpreter crashed.');
  check('a failing python call is a failed card with the sandbox error');

  // Streaming: the answer grows while it is generated; Stop cancels the turn on the server.
  await b.click('#new-session');
  const generatedBefore = await metric(server.url, 'ossa_generated_tokens_total');
  await ask('Tell me a long story');
  const first = await b.waitFor('streamed text', `const t = document.querySelector("#transcript .turn:last-child .answer"); return t && t.textContent.length > 20 ? t.textContent.length : 0;`, 10000);
  const grown = await b.waitFor('more streamed text', `const t = document.querySelector("#transcript .turn:last-child .answer"); return t && t.textContent.length > arguments[0] ? t.textContent.length : 0;`, 10000, first);
  assert.ok(grown > first && grown < LONG.length, `${first} then ${grown} of ${LONG.length}`);
  assert.equal(await b.exec('return document.getElementById("stop").disabled'), false);
  await b.screenshot(join(shots, '03-streaming.png'));
  check('the answer streams in as it is generated');
  await b.click('#stop');
  await b.waitFor('the stopped turn', 'return document.querySelector("#transcript .turn:last-child .stopped") !== null');
  await b.waitFor('the send button back', 'return !document.getElementById("send").disabled');
  const shown = (await b.exec(lastTurnText('.answer'))).length;
  assert.ok(shown < LONG.length, `${shown} of ${LONG.length} characters shown after Stop`);
  // The server cancels at its next chunk: nothing runs, and far fewer tokens than the story.
  const deadline = Date.now() + 5000;
  while ((await metric(server.url, 'ossa_running_sequences')) !== 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(await metric(server.url, 'ossa_running_sequences'), 0);
  const generated = (await metric(server.url, 'ossa_generated_tokens_total')) - generatedBefore;
  await new Promise((r) => setTimeout(r, 500));
  const generatedLater = (await metric(server.url, 'ossa_generated_tokens_total')) - generatedBefore;
  assert.equal(generatedLater, generated, 'the server went on generating after Stop');
  assert.ok(generated < 600, `${generated} tokens generated for a 600-word story`);
  await b.screenshot(join(shots, '04-stopped.png'));
  check(`Stop cancels the turn: the server generated ${generated} tokens, then nothing`);

  // Model output with markup is shown as text, never parsed.
  await b.click('#new-session');
  await ask('show html <i>please</i>');
  await b.waitFor('the hostile answer', `return (${JSON.stringify(HOSTILE)}) === (document.querySelector("#transcript .turn:last-child .answer") || {}).textContent`, 15000);
  await b.waitFor('the end of the turn', turnDone);
  const dom = await b.exec(`return {
    elements: document.querySelectorAll("#transcript img, #transcript script, #transcript b, #transcript i").length,
    xss: window.__xss === undefined ? null : window.__xss,
    reasoning: document.querySelector("#transcript .reasoning-text").textContent,
    user: document.querySelector("#transcript .user").textContent };`);
  assert.deepEqual(dom, { elements: 0, xss: null, reasoning: '<img src=y onerror="window.__xss=3">',
                          user: 'show html <i>please</i>' });
  // The same when the stored session is shown again (whole strings, not streamed pieces).
  const hostileId = await b.exec('return document.querySelector("#transcript .turn:last-child").dataset.responseId');
  await b.exec('document.getElementById("transcript").replaceChildren()');
  await b.click(`#sessions li[data-id="${hostileId}"] .open`);
  await b.waitFor('the reopened hostile answer', `return (${JSON.stringify(HOSTILE)}) === (document.querySelector("#transcript .answer") || {}).textContent`);
  assert.deepEqual(await b.exec(`return {
    elements: document.querySelectorAll("#transcript img, #transcript script, #transcript b, #transcript i").length,
    xss: window.__xss === undefined ? null : window.__xss,
    reasoning: document.querySelector("#transcript .reasoning-text").textContent };`),
    { elements: 0, xss: null, reasoning: '<img src=y onerror="window.__xss=3">' });
  await b.screenshot(join(shots, '05-markup-as-text.png'));
  check('<img onerror> and <script> in the answer and reasoning are shown as text');

  // A session to resume after a restart.
  await b.click('#new-session');
  await b.click('#settings summary');
  await b.exec('document.getElementById("effort").value = "high"');
  await b.type('#instructions', 'Answer in one word.');
  await ask('My favourite colour is blue.');
  await b.waitFor('the answer', `return ${JSON.stringify('Noted.')} === (document.querySelector("#transcript .turn:last-child .answer") || {}).textContent`);
  await b.waitFor('the end of the turn', turnDone);
  const colourId = await b.exec('return document.querySelector("#transcript .turn:last-child").dataset.responseId');
  assert.match(colourId, /^resp_/);

  await stopServer(server);
  server = await startServer(Number(port));
  await b.navigate(server.url + '/');
  await b.waitFor('the stored sessions', `return document.querySelectorAll("#sessions li").length === 3`);
  const titles = await b.exec('return [...document.querySelectorAll("#sessions li .open")].map((e) => e.textContent)');
  assert.deepEqual([...titles].sort(), ['My favourite colour is blue.', 'Please compute 6 times 7', 'show html <i>please</i>']);
  // The tool card is there after the restart too.
  const computeLi = await b.exec(`return [...document.querySelectorAll("#sessions li")].find((l) => l.textContent.includes("compute")).dataset.id`);
  await b.click(`#sessions li[data-id="${computeLi}"] .open`);
  await b.waitFor('the reopened tool card', `const c = document.querySelector("#transcript .tool-card"); return c && c.querySelector(".tool-result").textContent === "42\\n" && c.dataset.status === "completed";`);
  await b.click(`#sessions li[data-id="${colourId}"] .open`);
  await b.waitFor('the reopened session', `return document.querySelector("#transcript .answer") && document.querySelector("#transcript .answer").textContent === "Noted."`);
  assert.equal(await b.exec('return document.querySelector("#transcript .user").textContent'), 'My favourite colour is blue.');
  // The session's settings come back with it (the next turn sends them again).
  assert.deepEqual(await b.exec('return [document.getElementById("effort").value, document.getElementById("instructions").value]'),
                   ['high', 'Answer in one word.']);
  await ask('Which colour did I say?');
  await b.waitFor('the resumed answer', `return (document.querySelector("#transcript .turn:last-child .answer") || {}).textContent === "You said blue."`, 15000);
  await b.waitFor('the end of the turn', turnDone);
  await b.waitFor('the session list', `const l = [...document.querySelectorAll("#sessions li")]; return l.length === 3 && l.some((e) => e.classList.contains("active") && e.textContent.includes("2 turns"));`);
  await b.screenshot(join(shots, '06-resumed-after-restart.png'));
  check('a session reopens after a server restart and resumes with its history');

  // Delete a session.
  await b.click(`#sessions li[data-id="${computeLi}"] .delete`);
  await b.acceptAlert();
  await b.waitFor('the deleted session gone', `return document.querySelectorAll("#sessions li").length === 2`);
  const gone = await fetch(`${server.url}/ossa/sessions/${computeLi}`, { headers: { Authorization: `Bearer ${KEY}` } });
  assert.equal(gone.status, 404);
  check('a session deletes from the list and the store');
} catch (e) {
  failed = true;
  console.error(`not ok - ${e.stack || e}`);
  try {
    await browser.screenshot(join(shots, 'failure.png'));
  } catch (_) { /* the browser may be gone */ }
} finally {
  await browser.quit();
  if (server) await stopServer(server);
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
