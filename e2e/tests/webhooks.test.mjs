// Webhook signatures checked by an independent implementation: the `standardwebhooks`
// package, as a receiver written by an integrator would check them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { startServer } from '../lib/server.mjs';

let server, receiver;
const deliveries = [];

before(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  server = await startServer({ args: ['--webhooks-allow-loopback', 'true'] });
});

after(async () => {
  await server?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function delivery(predicate) {
  for (let i = 0; i < 200; i += 1) {
    const found = deliveries.find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no matching delivery among ${deliveries.length}`);
}

test('standardwebhooks verifies every delivery, before and after a secret rotation', async () => {
  const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
  const created = await server.api('POST', '/v1/tenants/default/webhooks/subscriptions', { url, event_types: ['user.created', 'user.updated'] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { id: subscription, secret } = created.body;

  const userId = await server.user('default', 'lin@example.com', 'correct horse battery');
  const first = await delivery((d) => d.body.includes(userId));
  const payload = new Webhook(secret).verify(first.body, first.headers);
  assert.equal(payload.type, 'user.created');
  assert.equal(payload.id, first.headers['webhook-id']);
  assert.equal(payload.data.email, 'lin@example.com');
  assert.throws(() => new Webhook(secret).verify(first.body.replace('lin@', 'eve@'), first.headers), /signature/i,
    'a tampered body is refused');

  const rotated = await server.api('POST', `/v1/tenants/default/webhooks/subscriptions/${subscription}/rotate-secret`, {});
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  const renamed = await server.api('PATCH', `/v1/tenants/default/users/${userId}`, { name: 'Lin' });
  assert.equal(renamed.status, 200);
  const second = await delivery((d) => d.body.includes('user.updated'));
  assert.equal(new Webhook(rotated.body.secret).verify(second.body, second.headers).data.name, 'Lin');
  assert.equal(new Webhook(secret).verify(second.body, second.headers).type, 'user.updated',
    'the previous secret still verifies during the overlap');
});
