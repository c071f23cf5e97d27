// A small SMTP server for browser tests: enough RFC 5321 for a real client to deliver.
import { createServer } from 'node:net';

export async function startSmtp() {
  const messages = [];
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    socket.write('220 e2e-smtp ready\r\n');
    let buffer = '';
    let inData = false;
    let data = [];
    let to = [];
    socket.on('data', (chunk) => {
      buffer += chunk;
      let index;
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        if (inData) {
          if (line === '.') {
            messages.push({ to, data: data.join('\n').replace(/=\n/g, '').replace(/=3D/g, '=') });
            inData = false; data = []; to = [];
            socket.write('250 queued\r\n');
          } else {
            data.push(line.startsWith('.') ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.split(' ')[0].toUpperCase();
        if (verb === 'EHLO') socket.write('250-e2e-smtp\r\n250 8BITMIME\r\n');
        else if (verb === 'RCPT') { to.push((line.match(/<([^>]*)>/) || [])[1]); socket.write('250 OK\r\n'); }
        else if (verb === 'DATA') { inData = true; socket.write('354 end with .\r\n'); }
        else if (verb === 'QUIT') { socket.end('221 bye\r\n'); }
        else socket.write('250 OK\r\n');
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async link(recipient, path) {
      for (let i = 0; i < 100; i++) {
        const found = [...messages].reverse().find((m) => m.to.includes(recipient) && m.data.includes(path));
        if (found) return found.data.match(/https?:\/\/\S+/)[0];
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no mail to ${recipient} with ${path}`);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
