import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canConnect, startMongoTarget } from './mongo-target.js';

// No MongoDB driver here on purpose: these tests check the server finder with a raw socket and a
// hand-made OP_MSG `hello`, so they say "the server speaks MongoDB" and nothing about a driver.

describe('startMongoTarget', () => {
  it('starts a server that answers an OP_MSG hello, and stop() shuts it down', async () => {
    const target = await startMongoTarget();
    const { host, port } = firstHost(target.uri);
    try {
      expect(['external', 'ferretdb', 'mongodb-memory-server']).toContain(target.kind);
      expect(await canConnect(host, port, 2_000)).toBe(true);

      const reply = await hello(host, port);
      expect(reply.ok).toBe(1);
      expect(reply.isWritablePrimary).toBe(true);
      expect(typeof reply.maxWireVersion).toBe('number');
    } finally {
      await target.stop();
    }
    if (target.kind !== 'external') {
      expect(await canConnect(host, port, 2_000)).toBe(false);
    }
    await target.stop(); // a second stop() is harmless
  });

  it('fails loudly, saying what it tried and how to fix it, when no server can be found', async () => {
    const attempt = startMongoTarget({
      env: {},
      ferretdbBinary: '/nonexistent/ferretdb',
      memoryServer: false,
    });
    await expect(attempt).rejects.toThrow(/MONGODB_URI: not set/);
    await expect(attempt).rejects.toThrow(/no executable at \/nonexistent\/ferretdb/);
    await expect(attempt).rejects.toThrow(/scripts\/build-ferretdb\.sh/);
  });

  it('throws with the server stderr when the FerretDB binary exits at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-ferretdb-'));
    try {
      const fake = join(dir, 'ferretdb');
      writeFileSync(fake, '#!/bin/sh\necho "boom: bad flags $*" >&2\nexit 3\n');
      chmodSync(fake, 0o755);
      const attempt = startMongoTarget({ env: {}, ferretdbBinary: fake });
      await expect(attempt).rejects.toThrow(/exited early \(code 3[\s\S]*boom: bad flags -listen/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses MONGODB_URI as is when it is set, and rejects a value that is not a MongoDB URI', async () => {
    const target = await startMongoTarget({ env: { MONGODB_URI: 'mongodb://db.example:27017/' } });
    expect(target).toMatchObject({ uri: 'mongodb://db.example:27017/', kind: 'external' });
    await target.stop();
    await expect(startMongoTarget({ env: { MONGODB_URI: 'localhost:27017' } })).rejects.toThrow(
      /not a MongoDB connection string/,
    );
  });
});

/** Host and port of the first host in a mongodb:// URI. */
function firstHost(uri: string): { host: string; port: number } {
  const match = /^mongodb:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^,/:?]+)(?::(\d+))?/.exec(uri);
  if (!match) throw new Error(`this test needs a mongodb:// URI with a host, not ${uri}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2] ?? 27017) };
}

// ---------------------------------------------------------------------------------------------
// The smallest MongoDB wire client: one OP_MSG (opCode 2013) with one body section, and a BSON
// encoder/decoder for the few types involved.

const OP_MSG = 2013;

type BsonValue = number | bigint | string | boolean | null | Date | BsonDocument | BsonValue[];
interface BsonDocument {
  [key: string]: BsonValue;
}

async function hello(host: string, port: number): Promise<BsonDocument> {
  const requestId = 42;
  const body = encodeDocument({ hello: 1, $db: 'admin' });
  const header = Buffer.alloc(16 + 4 + 1);
  header.writeInt32LE(header.length + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8); // responseTo
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16); // flagBits
  header.writeUInt8(0, 20); // section kind 0: body
  const reply = await roundTrip(host, port, Buffer.concat([header, body]));

  expect(reply.readInt32LE(8)).toBe(requestId); // responseTo
  expect(reply.readInt32LE(12)).toBe(OP_MSG);
  expect(reply.readUInt8(20)).toBe(0);
  return decodeDocument(reply, 21).value;
}

/** Sends one message and resolves with the whole reply message (header included). */
function roundTrip(host: string, port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(message));
    let received = Buffer.alloc(0);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no reply within 5 s')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= received.readInt32LE(0)) {
        socket.end();
        resolve(received.subarray(0, received.readInt32LE(0)));
      }
    });
  });
}

function encodeDocument(doc: Record<string, number | string>): Buffer {
  const parts = Object.entries(doc).map(([key, value]) => {
    const name = Buffer.from(`${key}\0`, 'utf8');
    if (typeof value === 'number') {
      const int = Buffer.alloc(4);
      int.writeInt32LE(value);
      return Buffer.concat([Buffer.from([0x10]), name, int]);
    }
    const text = Buffer.from(`${value}\0`, 'utf8');
    const length = Buffer.alloc(4);
    length.writeInt32LE(text.length);
    return Buffer.concat([Buffer.from([0x02]), name, length, text]);
  });
  const size = Buffer.alloc(4);
  size.writeInt32LE(4 + parts.reduce((sum, part) => sum + part.length, 0) + 1);
  return Buffer.concat([size, ...parts, Buffer.from([0])]);
}

function decodeDocument(buf: Buffer, start: number): { value: BsonDocument; end: number } {
  const end = start + buf.readInt32LE(start);
  const value: BsonDocument = {};
  let at = start + 4;
  while (at < end - 1) {
    const type = buf.readUInt8(at);
    const nameEnd = buf.indexOf(0, at + 1);
    const key = buf.toString('utf8', at + 1, nameEnd);
    at = nameEnd + 1;
    switch (type) {
      case 0x01: // double
        value[key] = buf.readDoubleLE(at);
        at += 8;
        break;
      case 0x02: {
        // string
        const length = buf.readInt32LE(at);
        value[key] = buf.toString('utf8', at + 4, at + 4 + length - 1);
        at += 4 + length;
        break;
      }
      case 0x03: // document
      case 0x04: {
        // array
        const inner = decodeDocument(buf, at);
        value[key] = type === 0x03 ? inner.value : Object.values(inner.value);
        at = inner.end;
        break;
      }
      case 0x07: // ObjectId
        value[key] = buf.toString('hex', at, at + 12);
        at += 12;
        break;
      case 0x08: // boolean
        value[key] = buf.readUInt8(at) === 1;
        at += 1;
        break;
      case 0x09: // UTC datetime
        value[key] = new Date(Number(buf.readBigInt64LE(at)));
        at += 8;
        break;
      case 0x0a: // null
        value[key] = null;
        break;
      case 0x10: // int32
        value[key] = buf.readInt32LE(at);
        at += 4;
        break;
      case 0x11: // timestamp
      case 0x12: // int64
        value[key] = buf.readBigInt64LE(at);
        at += 8;
        break;
      default:
        throw new Error(`BSON type 0x${type.toString(16)} (field ${key}) not handled by this test`);
    }
  }
  return { value, end };
}
