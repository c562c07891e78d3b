// The test server (ossa_scripted_server, or `ossa serve`) as a child process for the browser
// tests: its first stdout line, {"listening": URL}, says where it listens.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

// Starts `bin` with `args`; resolves with {proc, url} once it listens, rejects when it says
// anything else first or exits.
export function startServer(bin, args, options = {}) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout });
    lines.once('line', (line) => {
      try {
        resolve({ proc, url: JSON.parse(line).listening });
      } catch (e) {
        reject(new Error(`the server said: ${line}`));
      }
    });
    proc.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
}

// SIGTERM, and waits for the exit.
export function stopServer(server) {
  return new Promise((resolve) => {
    if (server.proc.exitCode !== null) return resolve();
    server.proc.once('exit', resolve);
    server.proc.kill('SIGTERM');
  });
}
