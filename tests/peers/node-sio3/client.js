'use strict';
// socket.io-client 3.1 (Engine.IO 4 / Socket.IO v5) running the interop scenario.
const path = require('path');
const { Manager } = require(path.join(__dirname, '..', 'node_modules', 'sio3-client'));
require('../common/modern_client').main(Manager);
