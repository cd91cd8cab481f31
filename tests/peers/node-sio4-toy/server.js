'use strict';
// socket.io 4.x server with the toy parser of tests/peers/toy-parser.
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'node_modules', 'sio4'));
const parser = require('../toy-parser/parser');
const { listen } = require('../common/scenario');
const { serve } = require('../common/modern_server');

const httpServer = http.createServer();
serve(new Server(httpServer, { serveClient: false, parser }));
listen(httpServer);
