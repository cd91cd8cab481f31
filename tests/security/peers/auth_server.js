'use strict';
// A socket.io 4 server that checks the CONNECT auth token, for the redaction and
// secrets tests (tests/security/test_canary.py).
//   login {password, user}  acks ["ok", user] (the password is not checked)
//   say TEXT                emits said {"from": user, "text": TEXT}
//   bye                     acks with no args
// A wrong auth token is refused with connect_error "bad token".
// Usage: node auth_server.js --port 0 --token TOKEN
// Prints "listening <port>" first, like the peers (tests/peers/README.md).
const http = require('http');
const path = require('path');
const { parseArgs } = require('../../peers/common/scenario');

const opts = parseArgs(process.argv.slice(2), { port: '0', token: '' });
const { Server } = require(path.join(__dirname, '..', '..', 'peers', 'node_modules', 'sio4'));

const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false });
io.use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === opts.token) next();
  else next(new Error('bad token'));
});
io.on('connection', (socket) => {
  const user = socket.handshake.auth.user;
  socket.on('login', (creds, ack) => ack && ack('ok', creds && creds.user));
  socket.on('say', (text) => socket.emit('said', { from: user, text }));
  socket.on('bye', (ack) => ack && ack());
});
httpServer.listen(Number(opts.port), '127.0.0.1', () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
