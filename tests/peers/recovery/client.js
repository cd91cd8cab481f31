'use strict';
// socket.io-client 4.x: a tick, a forced transport drop, recovery, another tick.
// Prints one JSON transcript line, like the other peers.
const path = require('path');
const { io } = require(path.join(__dirname, '..', 'node_modules', 'sio4-client'));
const { parseArgs, runMain } = require('../common/scenario');

function once(socket, name) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${name}`)), 10000);
    socket.once(name, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

async function scenario(opts) {
  const transports = opts.transport === 'polling' ? ['polling'] : ['websocket'];
  const socket = io(opts.url, {
    transports,
    upgrade: false,
    reconnectionDelay: 500, // the server's broadcast (20 ms after the drop) is missed
    reconnectionDelayMax: 500,
    randomizationFactor: 0,
    timeout: 10000,
  });
  // Recovery appends the event's offset as a last argument (the app sees it);
  // it differs from run to run, so the transcript keeps the first argument only.
  const seen = [];
  const first = (args) => args[0];
  seen.push(['hello', first(await once(socket, 'hello'))]);
  socket.emit('tick', 1);
  seen.push(['tock', first(await once(socket, 'tock'))]);
  const missed = once(socket, 'missed');
  socket.io.engine.close(); // the transport drops: the client reconnects by itself
  seen.push(['hello', first(await once(socket, 'hello'))]);
  seen.push(['missed', first(await missed)]);
  seen.push(['recovered', socket.recovered]);
  socket.emit('tick', 2);
  seen.push(['tock', first(await once(socket, 'tock'))]);
  socket.disconnect();
  return { transport: opts.transport, seen };
}

runMain(() => scenario(parseArgs(process.argv.slice(2), { url: null, transport: 'websocket' })));
