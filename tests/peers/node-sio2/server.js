'use strict';
// socket.io 2.x server (Engine.IO 3 / Socket.IO v4) running the interop scenario.
const http = require('http');
const path = require('path');
const socketio = require(path.join(__dirname, '..', 'node_modules', 'sio2'));
const { listen } = require('../common/scenario');
const { serve } = require('../common/modern_server');

const httpServer = http.createServer();
serve(socketio(httpServer, { serveClient: false }));
listen(httpServer);
