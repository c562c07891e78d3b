// The ossa web UI: one page over the server's Responses API (streamed semantic events, for
// chats), its agent sessions (/ossa/agents: ossa run's transcripts, an events stream, approvals)
// and its other /ossa/ routes (info, stored chats). Everything the model or a tool wrote reaches
// the DOM through textContent only: model output is hostile input, and the page never parses it
// as markup.
'use strict';

const KEY_STORAGE = 'ossa.apiKey';

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) || '',
  info: null,
  head: null,      // the chat's newest stored response: the next turn continues it
  agent: null,     // the open agent session's id: the next turn continues it
  running: null,   // {controller, turn, agent} while a turn streams
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(json) {
  const h = {};
  if (state.key) h.Authorization = 'Bearer ' + state.key;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}

async function errorOf(res) {
  let message = res.status + ' ' + res.statusText;
  try {
    const body = await res.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch (_) { /* not JSON: keep the status line */ }
  return new HttpError(res.status, message);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    askKey(state.key ? 'The server refused this key.' : '');
    throw new HttpError(401, 'unauthorized');
  }
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

// ---- API key -------------------------------------------------------------------------------

function askKey(error) {
  $('key-error').textContent = error || '';
  $('key-dialog').hidden = false;
  $('key-input').focus();
}

async function saveKey() {
  state.key = $('key-input').value.trim();
  $('key-input').value = '';
  sessionStorage.setItem(KEY_STORAGE, state.key);
  $('key-dialog').hidden = true;
  await connect();
}

function forgetKey() {
  state.key = '';
  sessionStorage.removeItem(KEY_STORAGE);
  askKey('');
}

// ---- Server info and settings --------------------------------------------------------------

async function connect() {
  try {
    state.info = await api('GET', '/ossa/info');
  } catch (e) {
    if (e.status !== 401) showPageError('Cannot reach the server: ' + e.message);
    return;
  }
  $('model').textContent = state.info.model;
  $('forget-key').hidden = !state.key;
  if (state.info.reasoning_effort) $('effort').value = state.info.reasoning_effort;
  const tools = $('tools');
  for (const old of tools.querySelectorAll('label')) old.remove();
  $('no-tools').hidden = state.info.tools.length > 0;
  for (const t of state.info.tools) {
    const label = el('label');
    const box = el('input');
    box.type = 'checkbox';
    box.value = t;
    box.checked = true;
    box.className = 'tool-choice';
    label.append(box, ' ' + t);
    tools.append(label);
  }
  await refreshSessions();
  await refreshAgents();
}

// An open session keeps the settings it started with (the model was told them); a new one
// takes the form's.
function lockSettings() {
  const open = Boolean(state.head || state.agent);
  $('kind').disabled = open;
  for (const id of ['effort', 'instructions', 'approve']) $(id).disabled = Boolean(state.agent);
  $('approve').closest('label').hidden = $('kind').value !== 'agent';
  $('tools').hidden = $('kind').value === 'agent';
}

function selectedTools() {
  return [...document.querySelectorAll('.tool-choice')].filter((b) => b.checked).map((b) => b.value);
}

function applySettings(settings) {
  if (!settings) return;
  if (typeof settings.approve === 'string') $('approve').value = settings.approve;
  if (typeof settings.reasoning_effort === 'string') $('effort').value = settings.reasoning_effort;
  $('instructions').value = typeof settings.instructions === 'string' ? settings.instructions : '';
  if (Array.isArray(settings.tools))
    for (const b of document.querySelectorAll('.tool-choice')) b.checked = settings.tools.includes(b.value);
}

function showPageError(message) {
  $('transcript').append(el('div', 'turn-error', message));
}

// ---- Sessions ------------------------------------------------------------------------------

async function refreshSessions() {
  let list;
  try {
    list = await api('GET', '/ossa/sessions');
  } catch (e) {
    if (e.status !== 401) showPageError('Cannot list sessions: ' + e.message);
    return;
  }
  const ul = $('sessions');
  ul.replaceChildren();
  $('sessions-empty').hidden = list.data.length > 0;
  for (const s of list.data) {
    const li = el('li');
    li.dataset.id = s.id;
    if (s.id === state.head) li.classList.add('active');
    const open = el('button', 'open', s.title);
    open.type = 'button';
    open.title = s.title;
    open.addEventListener('click', () => openSession(s.id));
    const when = new Date(s.updated_at * 1000);
    const meta = el('span', 'meta', s.turns + (s.turns === 1 ? ' turn · ' : ' turns · ') +
                    when.toLocaleString([], {dateStyle: 'short', timeStyle: 'short'}));
    const del = el('button', 'delete', '✕');
    del.type = 'button';
    del.title = 'Delete this session';
    del.addEventListener('click', () => deleteSession(s.id));
    const text = el('div', 'session-text');
    text.append(open, el('br'), meta);
    li.append(text, del);
    ul.append(li);
  }
}

function newSession() {
  if (state.running) return;
  state.head = null;
  state.agent = null;
  $('transcript').replaceChildren();
  $('session-title').textContent = '';
  applySettings({instructions: '', reasoning_effort: state.info && state.info.reasoning_effort,
                 tools: state.info ? state.info.tools : []});
  for (const li of document.querySelectorAll('#sessions li, #agents li')) li.classList.remove('active');
  lockSettings();
  $('prompt').focus();
}

async function openSession(id) {
  if (state.running) return;
  let view;
  try {
    view = await api('GET', '/ossa/sessions/' + encodeURIComponent(id));
  } catch (e) {
    if (e.status !== 401) showPageError('Cannot open the session: ' + e.message);
    return;
  }
  state.head = view.id;
  state.agent = null;
  $('kind').value = 'chat';
  $('session-title').textContent = view.title;
  applySettings(view.settings);
  lockSettings();
  const transcript = $('transcript');
  transcript.replaceChildren();
  for (const t of view.turns) {
    const turn = el('div', 'turn');
    turn.dataset.responseId = t.response_id;
    for (const item of t.items) renderStoredItem(turn, item);
    if (t.usage) turn.append(el('div', 'turn-stats', usageText(t.usage, null)));
    transcript.append(turn);
  }
  transcript.scrollTop = transcript.scrollHeight;
  markActive();
}

function markActive() {
  for (const li of document.querySelectorAll('#sessions li'))
    li.classList.toggle('active', li.dataset.id === state.head);
  for (const li of document.querySelectorAll('#agents li'))
    li.classList.toggle('active', li.dataset.id === state.agent);
}

async function deleteSession(id) {
  if (state.running) return;
  if (!confirm('Delete this session?')) return;
  try {
    await api('DELETE', '/ossa/sessions/' + encodeURIComponent(id));
  } catch (e) {
    if (e.status !== 401) showPageError('Cannot delete the session: ' + e.message);
    return;
  }
  if (state.head === id) newSession();
  await refreshSessions();
}

function renderStoredItem(turn, item) {
  switch (item.type) {
    case 'user': turn.append(el('div', 'user', item.text)); break;
    case 'reasoning': reasoningBlock(turn, item.text); break;
    case 'message': turn.append(el('div', 'answer', item.text)); break;
    case 'tool_call': {
      const card = toolCard(turn, item.tool);
      setArguments(card, item.tool, item.arguments);
      if (item.output === null || item.output === undefined) setStatus(card, item.status || 'requested');
      else {
        setStatus(card, item.status || 'completed');
        setResult(card, item.output);
      }
      if (typeof item.duration_ms === 'number') setDuration(card, item.duration_ms);
      break;
    }
    default: break;
  }
}

// ---- Transcript pieces ---------------------------------------------------------------------

function reasoningBlock(turn, text) {
  const d = el('details', 'reasoning');
  d.append(el('summary', null, 'Reasoning'), el('div', 'reasoning-text', text || ''));
  turn.append(d);
  return d.querySelector('.reasoning-text');
}

function toolCard(turn, tool) {
  const card = el('details', 'tool-card');
  card.open = true;
  const summary = el('summary');
  summary.append(el('span', 'tool-name', tool), el('span', 'tool-status', ''), el('span', 'tool-duration', ''));
  const body = el('div', 'tool-body');
  body.append(el('div', 'label', 'Arguments'), el('pre', 'tool-args', ''));
  const resultLabel = el('div', 'label', 'Result');
  resultLabel.hidden = true;
  const result = el('pre', 'tool-result');
  result.hidden = true;
  body.append(resultLabel, result);
  card.append(summary, body);
  turn.append(card);
  return card;
}

function prettyArguments(tool, text) {
  if (tool === 'python' || tool.endsWith('.python')) return text;
  if (!text) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (_) {
    return text;
  }
}

function setArguments(card, tool, text) {
  card.querySelector('.tool-args').textContent = prettyArguments(tool, text || '');
}

function setStatus(card, status) {
  card.dataset.status = status;
  card.querySelector('.tool-status').textContent = status;
}

function setResult(card, text) {
  const result = card.querySelector('.tool-result');
  result.textContent = text;
  result.hidden = false;
  result.previousElementSibling.hidden = false;
}

function setDuration(card, ms) {
  card.querySelector('.tool-duration').textContent = ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(2) + ' s';
}

function usageText(usage, seconds) {
  const parts = [];
  const cached = usage.input_tokens_details ? usage.input_tokens_details.cached_tokens : 0;
  const reasoning = usage.output_tokens_details ? usage.output_tokens_details.reasoning_tokens : 0;
  parts.push(usage.input_tokens + ' in' + (cached ? ' (' + cached + ' cached)' : ''));
  parts.push(usage.output_tokens + ' out' + (reasoning ? ' (' + reasoning + ' reasoning)' : ''));
  if (seconds !== null && seconds > 0) {
    parts.push((usage.output_tokens / seconds).toFixed(1) + ' tok/s');
    parts.push(seconds.toFixed(2) + ' s');
  }
  return parts.join(' · ');
}

// ---- A streamed turn -----------------------------------------------------------------------

class Turn {
  constructor(text) {
    this.root = el('div', 'turn');
    this.root.append(el('div', 'user', text));
    $('transcript').append(this.root);
    this.items = new Map();  // output_index -> {type, node, card, started}
    this.started = performance.now();
    this.response = null;
  }

  scroll() {
    const t = $('transcript');
    t.scrollTop = t.scrollHeight;
  }

  added(index, item) {
    const entry = {type: item.type, started: performance.now()};
    if (item.type === 'reasoning') {
      entry.node = reasoningBlock(this.root, '');
    } else if (item.type === 'message') {
      entry.node = el('div', 'answer', '');
      this.root.append(entry.node);
    } else {
      const tool = item.type === 'code_interpreter_call' ? 'python'
                 : item.type === 'web_search_call' ? 'browser.search'
                 : item.name || item.type;
      entry.tool = tool;
      entry.card = toolCard(this.root, tool);
      entry.args = '';
      setStatus(entry.card, 'writing');
    }
    this.items.set(index, entry);
  }

  delta(index, text) {
    const entry = this.items.get(index);
    if (!entry) return;
    if (entry.node) entry.node.append(document.createTextNode(text));
    else if (entry.card) {
      entry.args += text;
      entry.card.querySelector('.tool-args').textContent = entry.args;
    }
    this.scroll();
  }

  running(index) {
    const entry = this.items.get(index);
    if (!entry || !entry.card) return;
    entry.runStarted = performance.now();
    setArguments(entry.card, entry.tool, entry.args);
    setStatus(entry.card, 'running');
  }

  done(index, item) {
    const entry = this.items.get(index);
    if (!entry || !entry.card) return;
    const card = entry.card;
    if (item.type === 'code_interpreter_call') {
      setArguments(card, entry.tool, item.code);
      const logs = (item.outputs || []).map((o) => o.logs || '').join('');
      if (item.outputs) setResult(card, logs);
    } else if (item.type === 'web_search_call') {
      setArguments(card, entry.tool, JSON.stringify(item.action || {}));
    } else if (item.type === 'function_call') {
      setArguments(card, entry.tool, item.arguments);
    }
    setStatus(card, item.status === 'failed' ? 'failed' : item.type === 'function_call' ? 'requested' : 'completed');
    setDuration(card, performance.now() - (entry.runStarted || entry.started));
  }

  finished(response) {
    this.response = response;
    const seconds = (performance.now() - this.started) / 1000;
    if (response.error && response.error.message) this.error(response.error.message);
    if (response.incomplete_details) this.warning('Incomplete: ' + JSON.stringify(response.incomplete_details));
    for (const w of response.warnings || []) this.warning(w);
    if (response.usage) {
      const stats = el('div', 'turn-stats', usageText(response.usage, seconds));
      this.root.append(stats);
    }
    this.root.dataset.responseId = response.id;
  }

  stopped() {
    for (const entry of this.items.values())
      if (entry.card && !['completed', 'failed', 'requested'].includes(entry.card.dataset.status))
        setStatus(entry.card, 'stopped');
    this.root.append(el('div', 'turn-stats stopped', 'Stopped.'));
  }

  error(message) { this.root.append(el('div', 'turn-error', message)); }
  warning(message) { this.root.append(el('div', 'turn-warning', message)); }
}

// Server-Sent Events from a fetch body: yields each event's parsed `data`.
async function* sseEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (!data || data === '[DONE]') continue;
      try {
        yield JSON.parse(data);
      } catch (_) { /* a malformed event is skipped, the stream goes on */ }
    }
  }
}

function handleEvent(turn, ev) {
  switch (ev.type) {
    case 'response.output_item.added': turn.added(ev.output_index, ev.item); break;
    case 'response.output_text.delta':
    case 'response.reasoning_text.delta':
    case 'response.function_call_arguments.delta':
    case 'response.code_interpreter_call_code.delta':
      turn.delta(ev.output_index, ev.delta);
      break;
    case 'response.code_interpreter_call.interpreting':
    case 'response.web_search_call.searching':
      turn.running(ev.output_index);
      break;
    case 'response.output_item.done': turn.done(ev.output_index, ev.item); break;
    case 'response.completed':
    case 'response.incomplete':
    case 'response.failed':
      turn.finished(ev.response);
      break;
    case 'error': turn.error(ev.message || (ev.error && ev.error.message) || 'error'); break;
    default: break;
  }
}

// ---- Agent sessions (ossa run's transcripts) ------------------------------------------------

async function refreshAgents() {
  let list;
  try {
    list = await api('GET', '/ossa/agents');
  } catch (e) {
    if (e.status !== 401) showPageError('Cannot list agent sessions: ' + e.message);
    return;
  }
  const ul = $('agents');
  ul.replaceChildren();
  $('agents-empty').hidden = list.data.length > 0;
  for (const s of list.data) {
    const li = el('li');
    li.dataset.id = s.id;
    if (s.id === state.agent) li.classList.add('active');
    const open = el('button', 'open', s.title);
    open.type = 'button';
    open.title = s.title + ' (' + s.id + ')';
    open.addEventListener('click', () => openAgent(s.id));
    const when = new Date(s.updated_at * 1000);
    const meta = el('span', 'meta', s.turns + (s.turns === 1 ? ' turn · ' : ' turns · ') +
                    when.toLocaleString([], {dateStyle: 'short', timeStyle: 'short'}) +
                    (s.awaiting_approval ? ' · waiting for approval' : s.running ? ' · running' : ''));
    const del = el('button', 'delete', '✕');
    del.type = 'button';
    del.title = 'Delete this session (its transcript)';
    del.addEventListener('click', () => deleteAgent(s.id));
    const text = el('div', 'session-text');
    text.append(open, el('br'), meta);
    li.append(text, del);
    ul.append(li);
  }
}

async function openAgent(id) {
  if (state.running) return;
  let view;
  try {
    view = await api('GET', '/ossa/agents/' + encodeURIComponent(id));
  } catch (e) {
    if (e.status !== 401) showPageError('Cannot open the session: ' + e.message);
    return;
  }
  state.agent = view.id;
  state.head = null;
  $('kind').value = 'agent';
  $('session-title').textContent = view.title;
  applySettings(view.settings);
  lockSettings();
  const transcript = $('transcript');
  transcript.replaceChildren();
  // A running turn is drawn from its events (below), not from what the transcript has so far.
  const turns = view.running ? view.turns.slice(0, -1) : view.turns;
  for (const t of turns) {
    const turn = el('div', 'turn');
    for (const item of t.items) renderStoredItem(turn, item);
    if (t.tokens) turn.append(el('div', 'turn-stats', t.tokens + ' out'));
    if (t.end && t.end !== 'final') turn.append(el('div', 'turn-warning', 'Ended: ' + t.end));
    transcript.append(turn);
  }
  transcript.scrollTop = transcript.scrollHeight;
  markActive();
  // A turn still running (started from another tab) is watched until it ends.
  if (view.running) await watchAgent(id, new AgentTurn(null));
}

async function deleteAgent(id) {
  if (state.running) return;
  if (!confirm('Delete this session and its transcript?')) return;
  try {
    await api('DELETE', '/ossa/agents/' + encodeURIComponent(id));
  } catch (e) {
    if (e.status !== 401) showPageError('Cannot delete the session: ' + e.message);
    return;
  }
  if (state.agent === id) newSession();
  await refreshAgents();
}

// One agent turn drawn from the session's events (runtime/events.hpp).
class AgentTurn {
  constructor(text) {
    this.root = el('div', 'turn');
    if (text !== null) this.root.append(el('div', 'user', text));
    $('transcript').append(this.root);
    this.current = null;  // the message being written: {node} or {card, args}
    this.call = null;     // the card of the call being run
    this.started = performance.now();
    this.tokens = {prompt: 0, cached: 0, generated: 0};
    this.ended = null;
  }

  scroll() {
    const t = $('transcript');
    t.scrollTop = t.scrollHeight;
  }

  event(ev) {
    switch (ev.type) {
      case 'message_started':
        if (ev.recipient) {
          const card = toolCard(this.root, ev.recipient);
          setStatus(card, 'writing');
          this.current = {card, tool: ev.recipient, args: ''};
        } else if (ev.channel === 'analysis') {
          this.current = {node: reasoningBlock(this.root, '')};
        } else {
          const node = el('div', 'answer', '');
          this.root.append(node);
          this.current = {node};
        }
        break;
      case 'delta':
        if (!this.current) break;
        if (this.current.node) this.current.node.append(document.createTextNode(ev.text));
        else {
          this.current.args += ev.text;
          this.current.card.querySelector('.tool-args').textContent = this.current.args;
        }
        break;
      case 'tool_call': {
        const tool = ev.resolved || ev.recipient;
        const card = this.current && this.current.card ? this.current.card : toolCard(this.root, tool);
        card.querySelector('.tool-name').textContent = tool;
        setArguments(card, tool, ev.body);
        setStatus(card, 'running');
        this.call = card;
        this.current = null;
        break;
      }
      case 'message': {
        // A turn followed from its start (another tab's) shows its user message from here.
        const m = ev.message || {};
        if (m.role === 'user' && !this.root.querySelector('.user')) {
          const text = (m.content || []).map((c) => (c && typeof c.text === 'string' ? c.text : '')).join('');
          this.root.prepend(el('div', 'user', text));
        }
        break;
      }
      case 'approval_request': this.askApproval(ev); break;
      case 'approval':
        if (this.call) {
          for (const a of this.call.querySelectorAll('.approval')) a.remove();
          setStatus(this.call, ev.approved ? 'running' : 'denied');
          this.call.dataset.approved = String(ev.approved);
        }
        break;
      case 'tool_result': {
        const card = this.call || toolCard(this.root, ev.recipient);
        const denied = ev.metadata && ev.metadata.denied;
        setResult(card, ev.text);
        setStatus(card, denied ? 'denied' : ev.is_error ? 'failed' : 'completed');
        setDuration(card, ev.duration_ms || 0);
        this.call = null;
        break;
      }
      case 'round':
        this.tokens.prompt += ev.prompt_tokens || 0;
        this.tokens.cached += ev.reused_tokens || 0;
        this.tokens.generated += ev.generated_tokens || 0;
        break;
      case 'warning': this.warning(ev.text); break;
      case 'parse_error': this.warning('Unusable model output: ' + ev.error); break;
      case 'turn_end': this.end(ev); break;
      default: break;
    }
    this.scroll();
  }

  askApproval(ev) {
    const card = this.call || toolCard(this.root, ev.recipient);
    this.call = card;
    setStatus(card, 'awaiting approval');
    const box = el('div', 'approval');
    box.append(el('span', null, 'Run ' + ev.recipient + '?'));
    for (const [label, approved] of [['Approve', true], ['Deny', false]]) {
      const b = el('button', approved ? 'approve' : 'deny', label);
      b.type = 'button';
      b.addEventListener('click', async () => {
        for (const other of box.querySelectorAll('button')) other.disabled = true;
        try {
          await api('POST', '/ossa/agents/' + encodeURIComponent(state.agent) + '/approval', {approved});
        } catch (e) {
          this.error('Cannot send the decision: ' + e.message);
          for (const other of box.querySelectorAll('button')) other.disabled = false;
        }
      });
      box.append(b);
    }
    card.querySelector('.tool-body').prepend(box);
  }

  end(ev) {
    this.ended = ev;
    const seconds = (performance.now() - this.started) / 1000;
    const t = this.tokens;
    const parts = [t.prompt + ' in' + (t.cached ? ' (' + t.cached + ' cached)' : ''), t.generated + ' out'];
    if (seconds > 0) parts.push((t.generated / seconds).toFixed(1) + ' tok/s', seconds.toFixed(2) + ' s');
    if (ev.reason === 'cancelled') this.stopped();
    else if (ev.reason !== 'final') this.error('The turn ended: ' + ev.reason + (ev.detail ? ' (' + ev.detail + ')' : ''));
    this.root.append(el('div', 'turn-stats', parts.join(' · ')));
  }

  stopped() {
    for (const card of this.root.querySelectorAll('.tool-card'))
      if (!['completed', 'failed', 'denied'].includes(card.dataset.status)) setStatus(card, 'stopped');
    this.root.append(el('div', 'turn-stats stopped', 'Stopped.'));
  }

  error(message) { this.root.append(el('div', 'turn-error', message)); }
  warning(message) { this.root.append(el('div', 'turn-warning', message)); }
}

// Follows a running turn's events until its turn_end.
async function watchAgent(id, turn) {
  state.running = {agent: id, turn};
  setRunning(true);
  try {
    const res = await fetch('/ossa/agents/' + encodeURIComponent(id) + '/events', {headers: headers(false)});
    if (!res.ok) throw await errorOf(res);
    for await (const ev of sseEvents(res.body)) turn.event(ev);
    if (!turn.ended) turn.error('The events stream ended before the turn did.');
  } catch (e) {
    turn.error(e.message);
  } finally {
    state.running = null;
    setRunning(false);
  }
  await refreshAgents();
}

async function sendAgent(text) {
  $('prompt').value = '';
  const turn = new AgentTurn(text);
  turn.scroll();
  try {
    if (!state.agent) {
      const body = {reasoning_effort: $('effort').value, approve: $('approve').value};
      const instructions = $('instructions').value.trim();
      if (instructions) body.instructions = instructions;
      const created = await api('POST', '/ossa/agents', body);
      state.agent = created.id;
      $('session-title').textContent = text.slice(0, 80);
      lockSettings();
    }
    await api('POST', '/ossa/agents/' + encodeURIComponent(state.agent) + '/turns', {input: text});
    refreshAgents();
  } catch (e) {
    turn.error(e.message);
    return;
  }
  turn.root.dataset.sessionId = state.agent;
  await watchAgent(state.agent, turn);
  markActive();
}

function setRunning(running) {
  $('send').disabled = running;
  $('stop').disabled = !running;
  $('new-session').disabled = running;
}

async function send() {
  const text = $('prompt').value.trim();
  if (!text || state.running || !state.info) return;
  if (state.agent || (!state.head && $('kind').value === 'agent')) return sendAgent(text);
  $('prompt').value = '';
  const turn = new Turn(text);
  turn.scroll();
  if (!state.head) $('session-title').textContent = text.slice(0, 80);
  const body = {
    model: state.info.model,
    input: text,
    stream: true,
    store: true,
    reasoning: {effort: $('effort').value},
    tools: selectedTools().map((t) => (t === 'code_interpreter' ? {type: t, container: {type: 'auto'}} : {type: t})),
  };
  const instructions = $('instructions').value.trim();
  if (instructions) body.instructions = instructions;
  if (state.head) body.previous_response_id = state.head;
  const controller = new AbortController();
  state.running = {controller, turn};
  setRunning(true);
  try {
    const res = await fetch('/v1/responses', {
      method: 'POST', headers: headers(true), body: JSON.stringify(body), signal: controller.signal,
    });
    if (res.status === 401) {
      askKey(state.key ? 'The server refused this key.' : '');
      throw new HttpError(401, 'The server needs its API key.');
    }
    if (!res.ok) throw await errorOf(res);
    for await (const ev of sseEvents(res.body)) handleEvent(turn, ev);
    if (!turn.response) turn.error('The stream ended before the response was complete.');
    else if (turn.response.status !== 'failed' && body.store) state.head = turn.response.id;
  } catch (e) {
    if (e.name === 'AbortError') turn.stopped();
    else turn.error(e.message);
  } finally {
    state.running = null;
    setRunning(false);
  }
  await refreshSessions();
}

function stop() {
  if (!state.running) return;
  // An agent turn runs on the server whoever watches it: it is stopped by name (a call waiting
  // for approval is denied). A chat's connection is its turn: closing it is the cancel.
  if (state.running.agent) {
    api('POST', '/ossa/agents/' + encodeURIComponent(state.running.agent) + '/cancel', {})
      .catch((e) => state.running && state.running.turn.error('Cannot stop: ' + e.message));
    return;
  }
  state.running.controller.abort();
}

function init() {
  $('key-save').addEventListener('click', saveKey);
  $('key-input').addEventListener('keydown', (e) => { if (e.key === 'Enter') saveKey(); });
  $('forget-key').addEventListener('click', forgetKey);
  $('new-session').addEventListener('click', newSession);
  $('kind').addEventListener('change', lockSettings);
  $('send').addEventListener('click', send);
  $('stop').addEventListener('click', stop);
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send();
  });
  lockSettings();
  connect();
}

document.addEventListener('DOMContentLoaded', init);
