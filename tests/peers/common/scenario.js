'use strict';
// Shared helpers for the node peers: CLI parsing, the transcript, and a
// per-namespace inbox that turns callback-style events into awaitable steps.
// Every wait is bounded; the whole client run is bounded by RUN_TIMEOUT_MS.

const FIRST_ECHO = ['héllo wörld 😀', 42, { k: [true, null] }];
const BIN_PAYLOAD = [0x01, 0x02, 0x03, 0xff];
const STEP_TIMEOUT_MS = 10000;
const RUN_TIMEOUT_MS = 20000;

function parseArgs(argv, spec) {
  // spec: {name: default}; booleans are flags, others take one value.
  const out = Object.assign({}, spec);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const key = arg.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in spec)) throw new Error(`unknown option ${arg}`);
    if (typeof spec[key] === 'boolean') out[key] = true;
    else {
      if (i + 1 >= argv.length) throw new Error(`option ${arg} needs a value`);
      out[key] = argv[++i];
    }
  }
  return out;
}

function isBinary(x) {
  return Buffer.isBuffer(x) || x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}

// Bytes are shown as {"$bytes": "<hex>"} so the transcript is plain JSON.
function show(value) {
  if (isBinary(value)) {
    const buf = Buffer.isBuffer(value)
      ? value
      : value instanceof ArrayBuffer
        ? Buffer.from(value)
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return { $bytes: buf.toString('hex') };
  }
  if (Array.isArray(value)) return value.map(show);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value)) out[key] = show(value[key]);
    return out;
  }
  return value;
}

class Inbox {
  // Observations per namespace, in arrival order; next() awaits the oldest.
  constructor(name) {
    this.name = name;
    this.items = [];
    this.waiters = [];
  }
  push(item) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }
  next(what) {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`timed out waiting for ${what} on ${this.name}`));
      }, STEP_TIMEOUT_MS);
      const done = (item) => {
        clearTimeout(timer);
        resolve(item);
      };
      this.waiters.push(done);
    });
  }
}

class Transcript {
  constructor() {
    this.namespaces = { '/': [], '/chat': [] };
    this.warmup = null;
  }
  add(ns, entry) {
    this.namespaces[ns].push(show(entry));
  }
  // kind is "connect", "event:<name>", "ack:<name>", "message" or "json".
  static kindOf(item) {
    return item.length > 1 && (item[0] === 'event' || item[0] === 'ack')
      ? `${item[0]}:${item[1]}`
      : item[0];
  }
  // Several observations whose arrival order is not part of the contract
  // (the bin event and the bin_echo ack): record them in the order given.
  async take(inbox, ns, kinds) {
    const got = {};
    for (let i = 0; i < kinds.length; i++) {
      const item = await inbox.next(kinds.join(' + '));
      got[Transcript.kindOf(item)] = item;
    }
    for (const kind of kinds) {
      if (!(kind in got)) throw new Error(`expected ${kind} on ${ns}, got ${JSON.stringify(show(got))}`);
      this.add(ns, got[kind]);
    }
  }
  async expect(inbox, ns, kind) {
    const item = await inbox.next(kind);
    if (Transcript.kindOf(item) !== kind) {
      throw new Error(`expected ${kind} on ${ns}, got ${JSON.stringify(show(item))}`);
    }
    this.add(ns, item);
  }
  result(transport) {
    const out = { transport, namespaces: this.namespaces };
    if (this.warmup !== null) out.warmup = show(this.warmup);
    return out;
  }
}

function runMain(main) {
  const killer = setTimeout(() => {
    process.stderr.write(`client run exceeded ${RUN_TIMEOUT_MS} ms\n`);
    process.exit(3);
  }, RUN_TIMEOUT_MS);
  main()
    .then((transcript) => {
      process.stdout.write(JSON.stringify(transcript) + '\n', () => {
        clearTimeout(killer);
        process.exit(0);
      });
    })
    .catch((err) => {
      process.stderr.write(`client failed: ${err && err.stack ? err.stack : err}\n`);
      process.exit(2);
    });
}

function listen(httpServer) {
  httpServer.listen(Number(parseArgs(process.argv.slice(2), { port: '0' }).port), '127.0.0.1', () => {
    process.stdout.write(`listening ${httpServer.address().port}\n`);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
}

module.exports = {
  FIRST_ECHO,
  BIN_PAYLOAD,
  Inbox,
  Transcript,
  parseArgs,
  runMain,
  listen,
  show,
};
