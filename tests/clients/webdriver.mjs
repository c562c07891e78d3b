// A small W3C WebDriver client over node's fetch, for the web UI's browser tests: it starts
// Debian's chromedriver, which starts headless Chromium. No npm package: the protocol is a
// handful of JSON calls, and a client library would be one more pinned dependency to update.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export function which(names) {
  for (const name of names) {
    if (name.includes('/')) {
      if (existsSync(name)) return name;
      continue;
    }
    for (const dir of (process.env.PATH || '').split(delimiter))
      if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class WebDriverError extends Error {}

export class Browser {
  // Starts chromedriver and a headless Chromium session. Throws WebDriverError with what the
  // driver said when the browser cannot start.
  static async start({ chromium, chromedriver, width = 1280, height = 900 }) {
    const port = await freePort();
    const driver = spawn(chromedriver, [`--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let driverLog = '';
    // A driver that cannot be run at all (a configured path that is gone) is an 'error' event,
    // not an exit: without a listener node would die of it instead of saying why.
    let spawnError = null;
    driver.on('error', (e) => { spawnError = e; });
    driver.stdout.on('data', (d) => { driverLog += d; });
    driver.stderr.on('data', (d) => { driverLog += d; });
    const base = `http://127.0.0.1:${port}`;
    const b = new Browser(base, driver);
    const deadline = Date.now() + 15000;
    for (;;) {
      try {
        const s = await (await fetch(`${base}/status`)).json();
        if (s.value && s.value.ready) break;
      } catch (_) { /* not listening yet */ }
      if (spawnError || driver.exitCode !== null || Date.now() > deadline) {
        b.kill();
        if (spawnError) throw new WebDriverError(`chromedriver cannot run: ${spawnError.message}`);
        throw new WebDriverError(`chromedriver did not start: ${driverLog.trim().split('\n').pop() || 'no output'}`);
      }
      await sleep(100);
    }
    b.profile = mkdtempSync(join(tmpdir(), 'ossa-chromium-'));
    // --no-sandbox: Chromium's own sandbox needs user namespaces that containers and root
    // sessions often lack; this browser only ever loads the test server's page on loopback.
    const args = ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                  '--no-first-run', '--no-default-browser-check', `--window-size=${width},${height}`,
                  `--user-data-dir=${b.profile}`];
    const res = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ capabilities: { alwaysMatch: {
        browserName: 'chrome', 'goog:chromeOptions': { binary: chromium, args } } } }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok || !body.value || !body.value.sessionId) {
      b.kill();
      const msg = body.value && body.value.message ? body.value.message.split('\n')[0] : `HTTP ${res.status}`;
      throw new WebDriverError(`Chromium did not start: ${msg}`);
    }
    b.session = `${base}/session/${body.value.sessionId}`;
    return b;
  }

  constructor(base, driver) {
    this.base = base;
    this.driver = driver;
    this.session = null;
    this.profile = null;
  }

  async cmd(method, path, body) {
    const res = await fetch(this.session + path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const j = await res.json();
    if (!res.ok) throw new WebDriverError(`${method} ${path}: ${j.value && j.value.message}`);
    return j.value;
  }

  navigate(url) { return this.cmd('POST', '/url', { url }); }
  async find(css) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return v[ELEMENT];
  }
  click(css) { return this.onElement(css, (id) => this.cmd('POST', `/element/${id}/click`, {})); }
  type(css, text) { return this.onElement(css, (id) => this.cmd('POST', `/element/${id}/value`, { text })); }
  // The page re-renders what changes (the agents list refreshes while a turn runs): an element
  // found a moment ago can be replaced before the command reaches it. Then it is found again,
  // as a user's click would land on the new one; anything else is an error.
  async onElement(css, action) {
    for (let attempt = 1; ; ++attempt) {
      const id = await this.find(css);
      try {
        return await action(id);
      } catch (e) {
        if (attempt >= 5 || !(e instanceof WebDriverError) || !/stale element/.test(e.message)) throw e;
      }
    }
  }
  // Runs `script` (a function body) in the page and returns its value.
  exec(script, ...args) { return this.cmd('POST', '/execute/sync', { script, args }); }
  acceptAlert() { return this.cmd('POST', '/alert/accept', {}); }

  // Polls `script` until it returns a truthy value; returns it. Throws naming `what`.
  async waitFor(what, script, timeoutMs = 10000, ...args) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = await this.exec(script, ...args);
      if (last) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
      await sleep(50);
    }
  }

  async screenshot(file) {
    const png = await this.cmd('GET', '/screenshot');
    writeFileSync(file, Buffer.from(png, 'base64'));
  }

  kill() {
    if (this.driver && this.driver.exitCode === null) this.driver.kill('SIGTERM');
    if (this.profile) rmSync(this.profile, { recursive: true, force: true });
  }

  async quit() {
    if (this.session) {
      try { await fetch(this.session, { method: 'DELETE' }); } catch (_) { /* already gone */ }
    }
    this.kill();
  }
}
