'use strict';
// socket.io-client 4 with a CONNECT auth {token, user: "alice"} and a query token,
// for tests/security/test_canary.py. Logs in with a password, says "hi alice",
// waits for the server's "said", says bye, disconnects and prints ONE JSON line.
// --extra adds a field to the login packet, so a replay of a recording made
// without it reports a mismatch. Every wait is bounded (5 s).
// Usage: node auth_client.js --url URL --token T --query-token Q --password P [--extra]
const path = require('path');
const { parseArgs } = require('../../peers/common/scenario');

const opts = parseArgs(process.argv.slice(2), {
  url: '', token: '', queryToken: '', password: '', extra: false,
});
const { io } = require(path.join(__dirname, '..', '..', 'peers', 'node_modules', 'sio4-client'));

function fail(why) {
  process.stderr.write(`auth_client: ${why}\n`);
  process.exit(1);
}
setTimeout(() => fail('timed out'), 5000).unref();

const socket = io(opts.url, {
  transports: ['websocket'],
  auth: { token: opts.token, user: 'alice' },
  query: { token: opts.queryToken },
  reconnection: false,
});
socket.on('connect_error', (err) => fail(`connect_error ${err.message}`));
socket.on('connect', async () => {
  const creds = { password: opts.password, user: 'alice' };
  if (opts.extra) creds.extra = 1;
  const login = await socket.timeout(5000).emitWithAck('login', creds);
  const said = new Promise((resolve) => socket.once('said', resolve));
  socket.emit('say', 'hi alice');
  const heard = await said;
  await socket.timeout(5000).emitWithAck('bye');
  socket.disconnect();
  process.stdout.write(JSON.stringify({ login, said: heard }) + '\n');
  process.exit(0);
});
