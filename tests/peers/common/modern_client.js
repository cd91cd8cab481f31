'use strict';
// The scenario's client side for socket.io-client 2.x and 4.x: one Manager
// (one Engine.IO connection) multiplexing "/" and "/chat".
const { FIRST_ECHO, BIN_PAYLOAD, Inbox, Transcript, parseArgs, runMain } = require('./scenario');

const MODES = {
  websocket: { transports: ['websocket'], upgrade: false },
  polling: { transports: ['polling'], upgrade: false },
  upgrade: { transports: ['polling', 'websocket'], upgrade: true },
};

function watch(socket, inbox) {
  socket.on('connect', () => inbox.push(['connect']));
  socket.on('connect_error', (err) => inbox.push(['connect_error', String(err && err.message)]));
  for (const name of ['echo', 'answer_received', 'bin']) {
    socket.on(name, (...args) => inbox.push(['event', name, args]));
  }
  socket.on('question', (...args) => {
    const ack = args.pop();
    inbox.push(['event', 'question', args]);
    ack('answer', '🎉');
  });
}

function acked(socket, inbox, name, ...args) {
  socket.emit(name, ...args, (...reply) => inbox.push(['ack', name, reply]));
}

function waitUpgrade(engine) {
  if (engine.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve) => engine.once('upgrade', () => resolve()));
}

// A round trip on "/" between leaving and re-joining /chat. Without it a
// polling client may put "1/chat" and "0/chat" in one payload, and socket.io
// 4 handles the leave on the next tick, sees the join while /chat is still
// joined, and closes the whole connection ("invalid state").
async function barrier(t, root, rootIn) {
  acked(root, rootIn, 'ack_me', 'sync');
  await t.expect(rootIn, '/', 'ack:ack_me');
}

async function scenario(Manager, opts, managerOpts) {
  const mode = MODES[opts.transport];
  if (!mode) throw new Error(`unsupported transport mode ${opts.transport}`);
  const manager = new Manager(opts.url, {
    ...mode,
    reconnection: false,
    timeout: 10000,
    ...managerOpts,
  });
  const t = new Transcript();
  const root = manager.socket('/');
  const chat = manager.socket('/chat');
  const rootIn = new Inbox('/');
  const chatIn = new Inbox('/chat');
  watch(root, rootIn);
  watch(chat, chatIn);
  if (root.connected) rootIn.push(['connect']);
  if (chat.connected) chatIn.push(['connect']);
  await t.expect(rootIn, '/', 'connect');
  await t.expect(chatIn, '/chat', 'connect');
  if (opts.transport === 'upgrade') await waitUpgrade(manager.engine);

  if (opts.extraAckFirst) {
    acked(root, rootIn, 'ack_me', 'warmup');
    const item = await rootIn.next('warmup ack');
    t.warmup = item[2];
  }
  const first = opts.echoText === null ? FIRST_ECHO : [opts.echoText, ...FIRST_ECHO.slice(1)];
  root.emit('echo', ...first);
  await t.expect(rootIn, '/', 'event:echo');
  acked(root, rootIn, 'ack_me', 'x');
  await t.expect(rootIn, '/', 'ack:ack_me');
  root.emit('ask_me');
  await t.expect(rootIn, '/', 'event:question');
  await t.expect(rootIn, '/', 'event:answer_received');
  acked(root, rootIn, 'bin_echo', Buffer.from(BIN_PAYLOAD));
  await t.take(rootIn, '/', ['event:bin', 'ack:bin_echo']);

  chat.emit('echo', ...FIRST_ECHO);
  await t.expect(chatIn, '/chat', 'event:echo');
  acked(chat, chatIn, 'ack_me', 'x');
  await t.expect(chatIn, '/chat', 'ack:ack_me');
  chat.disconnect();
  t.add('/chat', ['leave']);
  await barrier(t, root, rootIn);
  chat.connect ? chat.connect() : chat.open();
  await t.expect(chatIn, '/chat', 'connect');
  chat.emit('echo', 'again');
  await t.expect(chatIn, '/chat', 'event:echo');
  acked(chat, chatIn, 'bye');
  await t.expect(chatIn, '/chat', 'ack:bye');

  const transport = manager.engine.transport.name;
  root.disconnect();
  chat.disconnect();
  return t.result(transport);
}

// managerOpts: extra Manager options (a custom parser).
function main(Manager, managerOpts = {}) {
  const opts = parseArgs(process.argv.slice(2), {
    url: null,
    transport: 'websocket',
    extraAckFirst: false,
    echoText: null,
  });
  if (!opts.url) throw new Error('--url is required');
  runMain(() => scenario(Manager, opts, managerOpts));
}

module.exports = { main };
