// A real redis-server for one test file, on a free loopback port: REDIS_SERVER names the binary
// (default redis-server from PATH). No server is a failure, never a skip.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server and resolves once it answers PING: {url, port, stop()}. */
export async function startRedis() {
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const failed = new Promise((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start ${binary} (set REDIS_SERVER): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`${binary} exited with ${code} before answering: ${output}`)));
  });
  failed.catch(() => {});
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await Promise.race([client.connect().then(() => client.ping()), failed]);
      await client.quit();
      break;
    } catch (error) {
      await client.disconnect().catch(() => {});
      if (child.exitCode !== null || error.message.includes('cannot start') || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
