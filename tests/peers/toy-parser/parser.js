'use strict';
// A toy Socket.IO parser for the --parser hook tests: each packet is the text
// "toy:" + JSON of {type, nsp, id, data}, buffers written as {"$b": "<base64>"}.
// toy_parser.py is its sioproxy side.
const { EventEmitter } = require('events');

function pack(value) {
  if (Buffer.isBuffer(value)) return { $b: value.toString('base64') };
  if (value instanceof ArrayBuffer) return { $b: Buffer.from(value).toString('base64') };
  if (ArrayBuffer.isView(value)) {
    return { $b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (Array.isArray(value)) return value.map(pack);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value)) out[key] = pack(value[key]);
    return out;
  }
  return value;
}

function unpack(value) {
  if (Array.isArray(value)) return value.map(unpack);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$b') return Buffer.from(value.$b, 'base64');
    const out = {};
    for (const key of keys) out[key] = unpack(value[key]);
    return out;
  }
  return value;
}

class Encoder {
  encode(packet) {
    const out = { type: packet.type, nsp: packet.nsp };
    if (packet.id !== undefined) out.id = packet.id;
    if (packet.data !== undefined) out.data = pack(packet.data);
    return ['toy:' + JSON.stringify(out)];
  }
}

class Decoder extends EventEmitter {
  add(message) {
    if (typeof message !== 'string' || !message.startsWith('toy:')) {
      throw new Error('not a toy packet');
    }
    const packet = JSON.parse(message.slice(4));
    if (packet.data !== undefined) packet.data = unpack(packet.data);
    this.emit('decoded', packet);
  }
  destroy() {}
}

module.exports = { protocol: 5, Encoder, Decoder };
