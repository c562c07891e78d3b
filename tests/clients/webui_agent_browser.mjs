// The web UI's agent sessions in headless Chromium against ossa_scripted_server
// (tests/server/webui_browser_test.cpp runs this): a session `ossa run` recorded (on a synthetic
// model) is listed; a new agent session's shell call waits for approval in the page, is approved
// and its result shown; another is denied and the model is told; the server restarts and the
// page reopens and resumes the session from its transcript; the `ossa run` session is resumed
// from the page and then deleted; `ossa run --resume` continues the page's session. Screenshots
// go to --shots DIR.
// Usage: node webui_agent_browser.mjs --server PATH --ossa PATH --shots DIR [--chromium PATH]
//        [--chromedriver PATH]
// Exit codes: 0 passed, 1 failed, 77 Chromium cannot start here (one line says why).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer as startServerProcess, stopServer } from './server_process.mjs';
import { Browser, WebDriverError, which } from './webdriver.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const serverBin = arg('--server');
const ossaBin = arg('--ossa');
const shots = arg('--shots');
const chromium = arg('--chromium') || process.env.OSSA_CHROMIUM || which(['chromium', 'chromium-browser', 'google-chrome']);
const chromedriver = arg('--chromedriver') || process.env.OSSA_CHROMEDRIVER || which(['chromedriver']);
const check = (name) => console.log(`ok - ${name}`);
const skip = (why) => {
  console.log(`SKIP: ${why}`);
  process.exit(77);
};

if (!serverBin || !ossaBin || !shots) {
  console.error('usage: node webui_agent_browser.mjs --server PATH --ossa PATH --shots DIR');
  process.exit(2);
}
if (!chromium || !chromedriver)
  skip('Chromium cannot start: chromium or chromedriver is not installed (scripts/setup.sh installs chromium and chromium-driver)');
mkdirSync(shots, { recursive: true });

// The scripted model: each rule answers the last user or tool message containing `when`
// (`context`: also somewhere in the prompt). A shell result the user denied says so.
const rules = [
  { when: 'functions.shell to=assistant', context: 'did not approve',
    reply: '<|channel|>final<|message|>You denied it, so I did not run it.<|return|>' },
  { when: 'functions.shell to=assistant',
    reply: '<|channel|>final<|message|>The command ran.<|return|>' },
  { when: 'run echo',
    reply: '<|channel|>analysis<|message|>I will run it.<|end|><|start|>assistant<|channel|>commentary to=functions.shell <|constrain|>json<|message|>{"command":["echo","approved-output"]}<|call|>' },
  { when: '', reply: '<|channel|>final<|message|>Hello from ossa.<|return|>' },
];
const work = mkdtempSync(join(tmpdir(), 'ossa-webui-agent-'));
const scriptFile = join(work, 'script.json');
writeFileSync(scriptFile, JSON.stringify(rules));
const data = join(work, 'data');
const transcripts = join(work, 'transcripts');
mkdirSync(data);
const KEY = 'webui-agent-key-' + process.pid;
// Neither the server nor `ossa run` may read this machine's configuration.
const env = { ...process.env, XDG_CONFIG_HOME: join(work, 'config'), HOME: work };

function startServer(port) {
  return startServerProcess(serverBin, ['--port', String(port), '--data-dir', data, '--workspace', data,
                                        '--transcript-dir', transcripts, '--script', scriptFile,
                                        '--tools', 'python,shell', '--api-key', KEY, '--per-token-us', '2000'],
                            { env });
}

const apiGet = async (url, path) => fetch(url + path, { headers: { Authorization: `Bearer ${KEY}` } });

let browser;
try {
  browser = await Browser.start({ chromium, chromedriver });
} catch (e) {
  if (e instanceof WebDriverError) skip(e.message);
  throw e;
}

let server;
let failed = false;
let runId;
const b = browser;
const ask = async (text) => {
  await b.exec('document.getElementById("prompt").value = ""');
  await b.type('#prompt', text);
  await b.click('#send');
};
const turnDone = 'return document.getElementById("send").disabled === false && document.querySelectorAll("#transcript .turn").length > 0;';
const lastTurn = (sel) =>
  `const t = document.querySelectorAll("#transcript .turn"); const e = t.length && t[t.length - 1].querySelector(${JSON.stringify(sel)}); return e ? e.textContent : null;`;
const lastCard = `const c = [...document.querySelectorAll("#transcript .turn:last-child .tool-card")].pop();
  return c && { status: c.dataset.status, name: c.querySelector(".tool-name").textContent,
                args: c.querySelector(".tool-args").textContent, result: c.querySelector(".tool-result").textContent,
                buttons: c.querySelectorAll(".approval button").length };`;
const waitApproval = () => b.waitFor('the approval buttons',
  'return document.querySelector("#transcript .turn:last-child .tool-card[data-status=\'awaiting approval\'] .approval .approve") !== null', 15000);

try {
  // A session recorded by `ossa run` itself, on a synthetic model (random weights: whatever it
  // says, the transcript is the one `ossa run` writes).
  const model = join(work, 'synth');
  const synth = spawnSync(ossaBin, ['model', 'synth', '--preset', 'tiny-harmony', '--out', model], { env, encoding: 'utf8' });
  assert.equal(synth.status, 0, synth.stderr);
  const run = spawnSync(ossaBin, ['run', '--model', model, '--transcript-dir', transcripts, '--max-tokens', '8',
                                  '--workspace', data, 'hello from ossa run'], { env, encoding: 'utf8' });
  const runFiles = existsSync(transcripts) ? readdirSync(transcripts).filter((f) => f.endsWith('.jsonl')) : [];
  assert.equal(runFiles.length, 1, `ossa run wrote no transcript: ${run.stderr}`);
  runId = runFiles[0].replace(/\.jsonl$/, '');

  server = await startServer(0);
  const port = new URL(server.url).port;
  await b.navigate(server.url + '/');
  await b.waitFor('the key dialog', 'return !document.getElementById("key-dialog").hidden');
  await b.type('#key-input', KEY);
  await b.click('#key-save');
  await b.waitFor('the model name', 'return document.getElementById("model").textContent === "ossa-test"');

  // The session `ossa run` recorded is listed with the page's own.
  await b.waitFor('the ossa run session', `return document.querySelector('#agents li[data-id="${runId}"] .open') !== null`);
  assert.equal(await b.exec(`return document.querySelector('#agents li[data-id="${runId}"] .open').textContent`), 'hello from ossa run');
  check('a session `ossa run` recorded is listed');

  // A new agent session asking for approvals in the page.
  await b.click('#settings summary');
  assert.equal(await b.exec('return document.getElementById("kind").value'), 'agent');  // the default
  assert.equal(await b.exec('return document.getElementById("approve").closest("label").hidden'), false);
  await b.exec('document.getElementById("approve").value = "ask"; document.getElementById("effort").value = "high"');
  await b.type('#instructions', 'Be careful.');
  await ask('Please run echo');
  await waitApproval();
  let card = await b.exec(lastCard);
  assert.deepEqual(card, { status: 'awaiting approval', name: 'functions.shell',
                           args: JSON.stringify({ command: ['echo', 'approved-output'] }, null, 2), result: '', buttons: 2 });
  const agentId = await b.exec('return document.querySelector("#transcript .turn:last-child").dataset.sessionId');
  assert.match(agentId, /^\d{8}-\d{6}-[0-9a-f]+$/);
  // The list says the session waits; nothing ran yet.
  const listed = await (await apiGet(server.url, '/ossa/agents')).json();
  assert.equal(listed.data.find((s) => s.id === agentId).awaiting_approval, true);
  await b.screenshot(join(shots, '07-approval.png'));
  await b.click('#transcript .turn:last-child .approval .approve');
  await b.waitFor('the end of the turn', turnDone, 15000);
  card = await b.exec(lastCard);
  assert.equal(card.status, 'completed');
  assert.equal(card.buttons, 0);
  assert.match(card.result, /^Exit code: 0\n[\s\S]*approved-output\n$/);
  assert.equal(await b.exec(lastTurn('.answer')), 'The command ran.');
  assert.equal(await b.exec(lastTurn('details.reasoning .reasoning-text')), 'I will run it.');
  assert.match(await b.exec(lastTurn('.turn-stats')), /^\d+ in( \(\d+ cached\))? · \d+ out · [\d.]+ tok\/s · [\d.]+ s$/);
  await b.screenshot(join(shots, '08-approved.png'));
  check('an approved shell call runs and its result is shown');

  // Denied: the call does not run and the model is told (its answer is the rule that matches
  // only the denial's tool message).
  await ask('Now run echo again');
  await waitApproval();
  await b.click('#transcript .turn:last-child .approval .deny');
  await b.waitFor('the end of the turn', turnDone, 15000);
  card = await b.exec(lastCard);
  assert.equal(card.status, 'denied');
  assert.match(card.result, /did not approve running functions\.shell/);
  assert.equal(await b.exec(lastTurn('.answer')), 'You denied it, so I did not run it.');
  await b.screenshot(join(shots, '09-denied.png'));
  check('a denied shell call is not run and the model is told');

  // Both decisions are in the transcript, as `ossa run` records them.
  const lines = readFileSync(join(transcripts, agentId + '.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.filter((e) => e.type === 'approval').map((e) => [e.mode, e.approved]), [['ask', true], ['ask', false]]);
  assert.equal(lines[0].type, 'session_start');

  // Stop while a call waits: the call is denied and the turn ends cancelled.
  await ask('run echo a third time');
  await waitApproval();
  // The turn runs on the server, not in the tab: a reloaded page finds it waiting and follows it.
  await b.navigate(server.url + '/');
  await b.waitFor('the waiting session in the list',
    `const m = document.querySelector('#agents li[data-id="${agentId}"] .meta'); return m && m.textContent.endsWith("waiting for approval");`);
  await b.click(`#agents li[data-id="${agentId}"] .open`);
  await waitApproval();
  assert.equal(await b.exec(lastTurn('.user')), 'run echo a third time');
  assert.equal(await b.exec('return document.querySelectorAll("#transcript .turn").length'), 3);
  assert.equal(await b.exec('return document.querySelectorAll("#transcript .tool-card").length'), 3);
  check('a reloaded page finds the turn waiting for approval and follows it');
  await b.click('#stop');
  await b.waitFor('the stopped turn', 'return document.querySelector("#transcript .turn:last-child .stopped") !== null', 15000);
  await b.waitFor('the send button back', 'return !document.getElementById("send").disabled');
  assert.equal((await b.exec(lastCard)).status, 'denied');
  check('Stop while a call waits for approval denies it and ends the turn');

  // A restart: the session comes back from its transcript and goes on.
  await stopServer(server);
  server = await startServer(Number(port));
  await b.navigate(server.url + '/');
  await b.waitFor('the agent sessions', 'return document.querySelectorAll("#agents li").length === 2');
  await b.click(`#agents li[data-id="${agentId}"] .open`);
  await b.waitFor('the reopened session', 'return document.querySelectorAll("#transcript .turn").length === 3');
  const reopened = await b.exec(`return [...document.querySelectorAll("#transcript .tool-card")].map((c) => c.dataset.status)`);
  assert.deepEqual(reopened, ['completed', 'denied', 'denied']);
  assert.equal(await b.exec('return document.querySelector("#transcript .answer").textContent'), 'The command ran.');
  // The session's settings come back with it, fixed (the model was told them at the start).
  assert.deepEqual(await b.exec(`return ["kind", "approve", "effort", "instructions"].map((id) => document.getElementById(id).value)
                                   .concat([document.getElementById("approve").disabled, document.getElementById("effort").disabled])`),
                   ['agent', 'ask', 'high', 'Be careful.', true, true]);
  await ask('Hello again');
  await b.waitFor('the resumed answer', `return (document.querySelector("#transcript .turn:last-child .answer") || {}).textContent === "Hello from ossa."`, 15000);
  await b.waitFor('the end of the turn', turnDone);
  const view = await (await apiGet(server.url, `/ossa/agents/${agentId}`)).json();
  assert.equal(view.turns.length, 4);
  assert.deepEqual(view.settings, { reasoning_effort: 'high', instructions: 'Be careful.', approve: 'ask' });
  await b.screenshot(join(shots, '10-agent-resumed-after-restart.png'));
  check('an agent session reopens after a server restart and resumes from its transcript');

  // The `ossa run` session opens and continues in the page, approvals included.
  await b.click(`#agents li[data-id="${runId}"] .open`);
  await b.waitFor('the ossa run session', `return (document.querySelector("#transcript .user") || {}).textContent === "hello from ossa run"`);
  await ask('run echo for the ossa run session');
  await waitApproval();
  await b.click('#transcript .turn:last-child .approval .approve');
  await b.waitFor('the end of the turn', turnDone, 15000);
  assert.equal(await b.exec(lastTurn('.answer')), 'The command ran.');
  const runLines = readFileSync(join(transcripts, runId + '.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(runLines.some((e) => e.type === 'session_resume'));
  assert.ok(runLines.some((e) => e.type === 'approval' && e.approved === true));
  check('a session `ossa run` started resumes in the page');

  // Delete it: gone from the list and the folder.
  await b.click(`#agents li[data-id="${runId}"] .delete`);
  await b.acceptAlert();
  await b.waitFor('the deleted session gone', 'return document.querySelectorAll("#agents li").length === 1');
  assert.equal((await apiGet(server.url, `/ossa/agents/${runId}`)).status, 404);
  assert.ok(!existsSync(join(transcripts, runId + '.jsonl')));
  check('an agent session deletes from the list and its transcript from the folder');

  // And the other way: `ossa run --resume` continues the session the page started (once the
  // server, which holds it open, is gone).
  await stopServer(server);
  server = null;
  const resumed = spawnSync(ossaBin, ['run', '--model', model, '--transcript-dir', transcripts, '--max-tokens', '4',
                                      '--workspace', data, '--resume', agentId, 'from ossa run'], { env, encoding: 'utf8' });
  const after = readFileSync(join(transcripts, agentId + '.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const userTexts = after.filter((e) => e.type === 'message' && e.message.role === 'user')
    .map((e) => e.message.content[0].text);
  assert.deepEqual(userTexts.slice(-2), ['Hello again', 'from ossa run'], resumed.stderr);
  assert.equal(after.filter((e) => e.type === 'session_resume').length, 2, resumed.stderr);  // the server's, then ossa run's
  check('`ossa run --resume` continues a session the page started');
} catch (e) {
  failed = true;
  console.error(`not ok - ${e.stack || e}`);
  try {
    await browser.screenshot(join(shots, 'agent-failure.png'));
  } catch (_) { /* the browser may be gone */ }
} finally {
  await browser.quit();
  if (server) await stopServer(server);
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
