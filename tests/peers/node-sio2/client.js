'use strict';
// socket.io-client 2.x (Engine.IO 3 / Socket.IO v4) running the interop scenario.
const path = require('path');
const { Manager } = require(path.join(__dirname, '..', 'node_modules', 'sio2-client'));
require('../common/modern_client').main(Manager);
