'use strict';
// socket.io 4.x server (Engine.IO 4 / Socket.IO v5) running the interop scenario.
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'node_modules', 'sio4'));
const { listen } = require('../common/scenario');
const { serve } = require('../common/modern_server');

const httpServer = http.createServer();
// SIO_MAX_HTTP_BUFFER_SIZE: the tests of packets over sioproxy's decoding limit echo megabytes.
const maxHttpBufferSize = Number(process.env.SIO_MAX_HTTP_BUFFER_SIZE) || 1e6;
serve(new Server(httpServer, { serveClient: false, maxHttpBufferSize }));
listen(httpServer);
