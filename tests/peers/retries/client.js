'use strict';
// socket.io-client 4.x with retries and ackTimeout (4.6+): one emitWithAck of
// "slow"; a late ack makes the client send the packet again under a new id.
const path = require('path');
const { io } = require(path.join(__dirname, '..', 'node_modules', 'sio4-client'));
const { parseArgs, runMain } = require('../common/scenario');

async function scenario(opts) {
  const socket = io(opts.url, {
    transports: ['websocket'],
    retries: 2,
    ackTimeout: Number(opts.ackTimeout),
    timeout: 10000,
  });
  const answer = await socket.emitWithAck('slow', 'x');
  socket.disconnect();
  return { transport: 'websocket', answer };
}

runMain(() =>
  scenario(parseArgs(process.argv.slice(2), { url: null, transport: 'websocket', ackTimeout: '1000' })),
);
