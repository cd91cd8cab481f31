'use strict';
// socket.io-client 4.x with socket.io-msgpack-parser running the interop scenario.
const path = require('path');
const { Manager } = require(path.join(__dirname, '..', 'node_modules', 'sio4-client'));
const parser = require(path.join(__dirname, '..', 'node_modules', 'socket.io-msgpack-parser'));
require('../common/modern_client').main(Manager, { parser });
