'use strict';
// socket.io-client 4.x with the toy parser of tests/peers/toy-parser running the interop scenario.
const path = require('path');
const { Manager } = require(path.join(__dirname, '..', 'node_modules', 'sio4-client'));
const parser = require('../toy-parser/parser');
require('../common/modern_client').main(Manager, { parser });
