'use strict';
// The chat client (client_common.js) on socket.io-client 2.x (Engine.IO 3).
const path = require('path');
const { Manager } = require(path.join(__dirname, '..', 'node_modules', 'sio2-client'));
require('./client_common').main(Manager);
