import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subject } from '../../consent/subject.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';

/** What each derived key is for; one master secret, never reused across purposes. */
type KeyUse = 'ledger-subjects' | 'ledger-seal' | 'suppression' | 'links' | 'logs';

export interface Keys {
  /**
   * The subject as the ledger knows it: the user id replaced by a keyed hash. Pseudonymisation by
   * design (GDPR art. 25): the proof of consent never holds the raw id, so erasing the person
   * elsewhere leaves the ledger as lawful pseudonymised proof (art. 17(3)(e)).
   */
  readonly ledgerSubject: (subject: Subject) => Subject;
  /** Secret of the suppression list's keyed hashes: must never change, or entries stop matching. */
  readonly suppressionSecret: string;
  /** Key that signs one-click unsubscribe links. */
  readonly linkKey: Buffer;
  /** Key of the hashes that stand for channel ids in the logs (see log.ts). */
  readonly logKey: Buffer;
  /**
   * Key of the ledger events' seals (consent/chain.ts): an HMAC, so that whoever can write to the
   * database but does not hold the secret cannot rewrite an event and recompute the chain unseen.
   * Must never change, or every event sealed before reads as forged.
   */
  readonly sealKey: Buffer;
}

export function deriveKeys(master: Buffer): Keys {
  const derive = (use: KeyUse): Buffer =>
    Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `consent-bot/${use}`, 32));
  const ledgerKey = derive('ledger-subjects');
  return {
    ledgerSubject: (subject) => ({
      channelId: subject.channelId,
      userId: `p:${createHmac('sha256', ledgerKey)
        .update(`${subject.channelId}|${subject.userId}`)
        .digest('base64url')}`,
    }),
    suppressionSecret: derive('suppression').toString('hex'),
    linkKey: derive('links'),
    logKey: derive('logs'),
    sealKey: derive('ledger-seal'),
  };
}

/**
 * The master secret, from SECRET_KEY or SECRET_KEY_FILE. Without either, the embedded store
 * generates one once into DATA_DIR (next to the data it protects), so `npm start` needs no set-up;
 * the memory store uses a random one per process. MongoDB (production) must be given one.
 */
export function loadMasterSecret(config: Config, log: Logger): Buffer {
  const given = givenSecret(config);
  if (given) return given;
  if (config.STORE === 'memory') return randomBytes(32);
  const file = join(config.DATA_DIR, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64'), { mode: 0o600, flag: 'wx' });
    log.warn('secret.generated', {
      hint: 'Generated DATA_DIR/secret.key. Back it up with the data; set SECRET_KEY in production.',
    });
  }
  chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, 'utf8').trim());
}

/**
 * The master secret the server uses, without generating one: for tools. A tool that generated a
 * new secret would check seals under the wrong key (every sealed event would read as forged) and
 * leave a stray secret.key in DATA_DIR.
 */
export function findMasterSecret(config: Config): Buffer | undefined {
  const given = givenSecret(config);
  if (given) return given;
  const file = join(config.DATA_DIR, 'secret.key');
  return config.STORE === 'embedded' && existsSync(file)
    ? Buffer.from(readFileSync(file, 'utf8').trim())
    : undefined;
}

/** SECRET_KEY, else the content of SECRET_KEY_FILE, else none. */
function givenSecret(config: Config): Buffer | undefined {
  if (config.SECRET_KEY) return Buffer.from(config.SECRET_KEY, 'utf8');
  if (config.SECRET_KEY_FILE) {
    return Buffer.from(readFileSync(config.SECRET_KEY_FILE, 'utf8').trim());
  }
  return undefined;
}
