'use strict';
// socket.io 3.1 server (Engine.IO 4 / Socket.IO v5) running the interop scenario.
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'node_modules', 'sio3'));
const { listen } = require('../common/scenario');
const { serve } = require('../common/modern_server');

const httpServer = http.createServer();
serve(new Server(httpServer, { serveClient: false }));
listen(httpServer);
