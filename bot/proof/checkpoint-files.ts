import { open, rm, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import {
  CheckpointReader,
  CheckpointWriter,
  type CheckpointHead,
  type CheckpointTrailer,
} from '../../consent/checkpoint.js';
import { compareUtf8 } from '../../storage/transcript-rules.js';

/**
 * Checkpoint files on disk (consent/checkpoint.ts is the format), as `npm run verify` and the
 * scheduled checkpoints write and read them.
 */

/** A checkpoint file as reports and logs name it. */
export interface CheckpointSummary extends Omit<CheckpointTrailer, 'problems'> {
  readonly file: string;
  readonly createdAt: string;
  readonly problems?: number;
}

/** Opens a checkpoint to read: its heads, read line by line as the walk needs them. */
export async function openCheckpoint(
  file: string,
): Promise<{ handle: FileHandle; reader: CheckpointReader }> {
  const handle = await open(file, 'r');
  const lines = createInterface({ input: handle.createReadStream(), crlfDelay: Infinity });
  return { handle, reader: new CheckpointReader(lines, compareUtf8) };
}

export interface CheckpointOutput {
  /** Writes one chain's head: pass as verifyLedger's `onHead`. */
  readonly head: (head: CheckpointHead, events: number) => Promise<void>;
  /** Writes the trailer, syncs and closes the file. */
  readonly seal: (problems: number) => Promise<CheckpointSummary>;
  /** Closes and removes an unfinished file. */
  readonly discard: () => Promise<void>;
}

/**
 * A new checkpoint file, written line by line as the walk goes. Never overwrites one (an anchor
 * must not be replaced by mistake); synced to disk before it is reported written. It is `sealed`
 * (consent/checkpoint.ts): this server seals every event it appends from now on.
 */
export async function createCheckpoint(file: string, now: Date): Promise<CheckpointOutput> {
  const handle = await open(file, 'wx');
  const writer = new CheckpointWriter();
  // Lines gather into chunks of about 64 KiB: one write per chunk, awaited, so memory stays flat.
  let chunk = writer.header(now, { sealed: true });
  const write = async (line: string, last = false): Promise<void> => {
    chunk += line;
    if (chunk.length < 65_536 && !last) return;
    const full = chunk;
    chunk = '';
    await handle.appendFile(full);
  };
  return {
    head: (head, events) => write(writer.head(head, events)),
    seal: async (problems) => {
      const { line, ...trailer } = writer.trailer(problems);
      await write(line, true);
      await handle.sync();
      await handle.close();
      return { file, createdAt: now.toISOString(), ...trailer };
    },
    discard: async () => {
      await handle.close().catch(() => undefined);
      await rm(file, { force: true });
    },
  };
}
