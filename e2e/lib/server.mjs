// Starts the real intelliauth binary for a browser test: random loopback port, its own
// SQLite directory, or its own PostgreSQL schema when INTELLIAUTH_TEST_DATABASE_URL is set.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

const binary = process.env.INTELLIAUTH_BIN;
if (!binary) throw new Error('set INTELLIAUTH_BIN to the intelliauth binary (cargo xtask test does)');

function psql(url, sql) {
  execFileSync('psql', [url, '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'pipe' });
}

export async function startServer({ args = [], env = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'intelliauth-e2e-'));
  const token = `iam_e2e${randomBytes(24).toString('hex')}`;
  const postgres = process.env.INTELLIAUTH_TEST_DATABASE_URL;
  let schema = null;
  const dbArgs = [];
  if (postgres) {
    schema = `e2e_${randomBytes(8).toString('hex')}`;
    psql(postgres, `CREATE SCHEMA ${schema}`);
    const separator = postgres.includes('?') ? '&' : '?';
    dbArgs.push('--database-url', `${postgres}${separator}options=-c%20search_path%3D${schema}`);
  }
  const child = spawn(binary, ['serve', '--bind', '127.0.0.1:0', '--data-dir', dataDir, '--db-max-connections', '4', ...dbArgs, ...args], {
    env: { ...process.env, INTELLIAUTH_BOOTSTRAP_TOKEN: token, INTELLIAUTH_LOG: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs = [];
  const address = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('\n')}`)), 30000);
    createInterface({ input: child.stderr }).on('line', (line) => {
      logs.push(line);
      const match = line.match(/listening on http:\/\/([\d.:]+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${logs.join('\n')}`)));
  });
  const base = `http://${address}`;

  async function api(method, path, body) {
    const response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  return {
    base, token, logs, api,
    async tenant(id, settings = {}) {
      const reply = await api('POST', '/v1/tenants', { id, display_name: id, settings });
      if (reply.status !== 201) throw new Error(`tenant: ${JSON.stringify(reply.body)}`);
    },
    async user(tenant, email, password, extra = {}) {
      const reply = await api('POST', `/v1/tenants/${tenant}/users`, { email, password, email_verified: true, ...extra });
      if (reply.status !== 201) throw new Error(`user: ${JSON.stringify(reply.body)}`);
      return reply.body.id;
    },
    async catalogue() {
      const reply = await fetch(`${base}/v1/errors`);
      const { codes } = await reply.json();
      return Object.fromEntries(codes.map((entry) => [entry.code, entry]));
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
      rmSync(dataDir, { recursive: true, force: true });
      if (schema) psql(postgres, `DROP SCHEMA ${schema} CASCADE`);
    },
  };
}
