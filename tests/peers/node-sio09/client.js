'use strict';
// socket.io-client 0.9.16 (protocol "1") running the interop scenario in node.
// In node it uses the "xmlhttprequest" and "ws" 0.4 packages for its transports.
const path = require('path');
const io = require(path.join(__dirname, '..', 'node_modules', 'sio09-client'));
const { FIRST_ECHO, Inbox, Transcript, parseArgs, runMain } = require('../common/scenario');

const MODES = ['websocket', 'xhr-polling'];

function watch(ns, inbox) {
  ns.on('connect', () => inbox.push(['connect']));
  ns.on('error', (err) => inbox.push(['error', String(err)]));
  for (const name of ['echo', 'answer_received']) {
    ns.on(name, (...args) => inbox.push(['event', name, args]));
  }
  ns.on('question', (...args) => {
    const ack = args.pop();
    inbox.push(['event', 'question', args]);
    ack('answer', '🎉');
  });
  // json messages arrive as objects, plain ones as strings (docs/protocol.md#a4-1).
  ns.on('message', (data) => inbox.push(typeof data === 'string' ? ['message', data] : ['json', data]));
}

function acked(ns, inbox, name, ...args) {
  ns.emit(name, ...args, (...reply) => inbox.push(['ack', name, reply]));
}

function rejoin(socket, name) {
  // SocketNamespace.disconnect() sends 0::/chat but keeps the namespace object,
  // and Socket.of() only sends 1::/chat for a new one: drop it first.
  delete socket.namespaces[name];
  return socket.of(name);
}

// A round trip on "/" between leaving and re-joining /chat. Without it a
// polling client may put "1/chat" and "0/chat" in one payload, and socket.io
// 4 handles the leave on the next tick, sees the join while /chat is still
// joined, and closes the whole connection ("invalid state").
async function barrier(t, root, rootIn) {
  acked(root, rootIn, 'ack_me', 'sync');
  await t.expect(rootIn, '/', 'ack:ack_me');
}

async function scenario(opts) {
  if (!MODES.includes(opts.transport)) throw new Error(`unsupported transport ${opts.transport}`);
  // util.merge() merges the `transports` option into the default array index
  // by index instead of replacing it, so set the global default list instead.
  io.transports = [opts.transport];
  const root = io.connect(opts.url, {
    reconnect: false,
    'force new connection': true,
    'try multiple transports': false,
    'connect timeout': 10000,
  });
  const socket = root.socket;
  const t = new Transcript();
  const rootIn = new Inbox('/');
  const chatIn = new Inbox('/chat');
  watch(root, rootIn);
  await t.expect(rootIn, '/', 'connect');
  let chat = socket.of('/chat');
  watch(chat, chatIn);
  await t.expect(chatIn, '/chat', 'connect');

  if (opts.extraAckFirst) {
    acked(root, rootIn, 'ack_me', 'warmup');
    t.warmup = (await rootIn.next('warmup ack'))[2];
  }
  const first = opts.echoText === null ? FIRST_ECHO : [opts.echoText, ...FIRST_ECHO.slice(1)];
  root.emit('echo', ...first);
  await t.expect(rootIn, '/', 'event:echo');
  acked(root, rootIn, 'ack_me', 'x');
  await t.expect(rootIn, '/', 'ack:ack_me');
  root.emit('ask_me');
  await t.expect(rootIn, '/', 'event:question');
  await t.expect(rootIn, '/', 'event:answer_received');
  root.send('plain ünïcode 😀');
  await t.expect(rootIn, '/', 'message');
  root.json.send({ a: [1, 2] });
  await t.expect(rootIn, '/', 'json');

  chat.emit('echo', ...FIRST_ECHO);
  await t.expect(chatIn, '/chat', 'event:echo');
  acked(chat, chatIn, 'ack_me', 'x');
  await t.expect(chatIn, '/chat', 'ack:ack_me');
  chat.disconnect();
  t.add('/chat', ['leave']);
  await barrier(t, root, rootIn);
  chat = rejoin(socket, '/chat');
  watch(chat, chatIn);
  await t.expect(chatIn, '/chat', 'connect');
  chat.emit('echo', 'again');
  await t.expect(chatIn, '/chat', 'event:echo');
  acked(chat, chatIn, 'bye');
  await t.expect(chatIn, '/chat', 'ack:bye');

  const transport = socket.transport.name;
  socket.disconnect();
  return t.result(transport);
}

const opts = parseArgs(process.argv.slice(2), {
  url: null,
  transport: 'websocket',
  extraAckFirst: false,
  echoText: null,
});
if (!opts.url) throw new Error('--url is required');
runMain(() => scenario(opts));
