'use strict';
// The chat client (client_common.js) on socket.io-client 4.x.
const path = require('path');
const { Manager } = require(path.join(__dirname, '..', 'node_modules', 'sio4-client'));
require('./client_common').main(Manager);
