'use strict';
// The chat client of the chat servers (server4.js, server2.js, server_py5.py,
// server09.js), for socket.io-client 4.x (client4.js), 2.x (client2.js) and
// 0.9 (client09.js; --transport polling means xhr-polling).
// One user:
//   --name NAME --room ROOM   join ROOM as NAME (auth {user: NAME}; socket.io 2
//                             has no auth: the query's user=NAME says it)
//   --say TEXT                say TEXT once ready (after --after, if given)
//   --wait-joined N           before saying, wait until N others joined the room
//   --after NAME:TEXT         before saying, wait until NAME said TEXT
//   --until NAME:TEXT         leave once NAME said TEXT (default: own TEXT)
//   --admin                   also join "/admin"
//   --query K=V&...           handshake query parameters (for --assign query:K)
// Prints `ready` once the join is acknowledged, then ONE JSON line (the
// transcript: acks, confirmed, joined, said, admin) and exits 0.
const { parseArgs, runMain } = require('../common/scenario');

const MODES = {
  websocket: { transports: ['websocket'], upgrade: false },
  polling: { transports: ['polling'], upgrade: false },
};

function waiter() {
  const pending = [];
  return {
    wake() {
      for (const check of pending.splice(0)) check();
    },
    until(cond) {
      return new Promise((resolve) => {
        const check = () => (cond() ? resolve() : pending.push(check));
        check();
      });
    },
  };
}

// socket.io-client 2 has no emitWithAck.
function call(socket, event, arg) {
  return new Promise((resolve) => socket.emit(event, arg, resolve));
}

async function chat(connect) {
  const opts = parseArgs(process.argv.slice(2), {
    url: '', transport: 'websocket', name: '', room: '', say: '', waitJoined: '0',
    after: '', until: '', admin: false, query: '',
  });
  const query = { ...Object.fromEntries(new URLSearchParams(opts.query)), user: opts.name };
  const { root, admin, connected, close } = connect(opts, query);
  const t = { acks: [], confirmed: [], joined: [], said: [], admin: [] };
  const w = waiter();
  root.on('joined', (who) => { t.joined.push(who); w.wake(); });
  root.on('said', (msg) => { t.said.push([msg.from, msg.text]); w.wake(); });
  root.on('confirmed', (answer) => { t.confirmed.push(answer); w.wake(); });
  root.on('confirm', (room, ack) => ack({ ok: opts.name, room }));
  if (admin) admin.on('hello-admin', (m) => { t.admin.push(m); w.wake(); });
  const saidBy = (spec) => () => t.said.some(([f, x]) => `${f}:${x}` === spec);
  await connected;
  const joined = await call(root, 'join', opts.room);
  t.acks.push(['join', joined]);
  await w.until(() => t.confirmed.length === 1 && (!admin || t.admin.length === 1));
  process.stdout.write('ready\n');
  await w.until(() => t.joined.length >= Number(opts.waitJoined));
  if (opts.after) await w.until(saidBy(opts.after));
  if (opts.say) t.acks.push(['say', await call(root, 'say', opts.say)]);
  await w.until(saidBy(opts.until || `${opts.name}:${opts.say}`));
  close();
  return t;
}

// socket.io-client 2.x and 4.x: a Manager with one socket per namespace.
function managerClient(Manager) {
  return (opts, query) => {
    const manager = new Manager(opts.url, { ...MODES[opts.transport], reconnection: false, query });
    const root = manager.socket('/', { auth: { user: opts.name } });
    const admin = opts.admin ? manager.socket('/admin', { auth: { user: opts.name } }) : null;
    const connected = new Promise((resolve) =>
      root.connected ? resolve() : root.once('connect', resolve),
    );
    return { root, admin, connected, close: () => manager.engine.close() };
  };
}

module.exports = {
  main: (Manager) => runMain(() => chat(managerClient(Manager))),
  // connect(opts, query) -> {root, admin, connected (a promise), close}
  run: (connect) => runMain(() => chat(connect)),
};
