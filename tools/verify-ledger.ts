/**
 * Verifies the consent ledger's hash chains on the configured store, the way the server would
 * open it (same environment variables, same secret):
 *
 *   npm run verify -- [--from D] [--to D] [--channel C --user U] [--json]
 *   npm run verify -- [--against FILE [--digest HEX]] [--checkpoint-out FILE] [--json]
 *
 * D is a day (YYYY-MM-DD, UTC midnight) or an ISO date-time with an offset; --from is included,
 * --to is not. --against checks the whole store against a checkpoint (consent/checkpoint.ts),
 * optionally only if that file has the digest recorded elsewhere; --checkpoint-out writes one of
 * the store as walked, even when problems are found (its trailer counts them). Exit status:
 * 0 intact, 1 problems found, 2 bad usage, bad config, untrustworthy checkpoint or store error.
 * Prints counts, pseudonymous subject keys and event ids, never a raw user id.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { verifyQuery } from '../bot/compliance/params.js';
import { HttpError, parsed } from '../bot/http/route.js';
import { ConfigError, loadConfig } from '../bot/platform/config.js';
import { openStores } from '../bot/platform/configured-stores.js';
import { verifyLedger, type VerificationReport } from '../bot/proof/ledger-verification.js';
import { proofChecksOf } from '../bot/proof/proof-checks.js';
import { deriveKeys, findMasterSecret } from '../bot/platform/secrets.js';
import { CheckpointError } from '../consent/checkpoint.js';
import {
  createCheckpoint,
  openCheckpoint,
  type CheckpointSummary,
} from '../bot/proof/checkpoint-files.js';
import type { LedgerQuery } from '../consent/ledger.js';
import { sealerOf } from '../consent/chain.js';

const USAGE = `usage: npm run verify -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--channel ID --user ID] [--json]
       npm run verify -- [--against FILE [--digest HEX]] [--checkpoint-out FILE] [--json]`;

const INTACT = 0;
const PROBLEMS = 1;
const ERROR = 2;

function exitWith(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

interface Checkpoints {
  readonly against?: CheckpointSummary;
  readonly checkpoint?: CheckpointSummary;
}

const described = (c: CheckpointSummary): string =>
  `${c.file} of ${c.createdAt}: ${c.subjects} subjects, ${c.events} events, digest ${c.digest}`;

function describeReport(
  report: VerificationReport,
  query: LedgerQuery,
  checkpoints: Checkpoints,
): string {
  const window =
    query.from || query.to
      ? ` from ${query.from?.toISOString() ?? 'the start'} to ${query.to?.toISOString() ?? 'now'}`
      : '';
  const lines = [
    `Ledger verification (${report.scope}${window}): ${report.subjects} subjects, ${report.events} events.`,
  ];
  if (checkpoints.against) lines.push(`Against checkpoint ${described(checkpoints.against)}.`);
  if (report.intact) {
    lines.push('Intact: every hash chain is whole.');
  } else {
    lines.push(`NOT INTACT: ${report.problemCount} problem(s).`);
    for (const p of report.problems) {
      // A checkpoint problem may name no event: the store has none at that seq.
      const event = p.eventId ? `  event ${p.eventId}` : '';
      lines.push(`  ${p.kind.padEnd(12)} ${p.subject}  seq ${p.seq}${event}`);
    }
    if (report.problemCount > report.problems.length) {
      lines.push(`  ... and ${report.problemCount - report.problems.length} more`);
    }
  }
  if (checkpoints.checkpoint) {
    lines.push(`Checkpoint written: ${described(checkpoints.checkpoint)}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** A checkpoint file that cannot be opened: its message is complete, with no personal data. */
class FileError extends Error {}

const failureOf = (error: unknown): string =>
  error instanceof Error && 'code' in error ? String(error.code) : 'error';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        channel: { type: 'string' },
        user: { type: 'string' },
        against: { type: 'string' },
        digest: { type: 'string' },
        'checkpoint-out': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    exitWith(ERROR, `${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return INTACT;
  }
  let options;
  try {
    // The same schema as GET /api/compliance/verify: the same values refused, with the same codes.
    options = parsed(
      verifyQuery,
      {
        ...(args.from !== undefined ? { from: args.from } : {}),
        ...(args.to !== undefined ? { to: args.to } : {}),
        ...(args.channel !== undefined ? { channelId: args.channel } : {}),
        ...(args.user !== undefined ? { userId: args.user } : {}),
      },
      'INVALID_QUERY',
    ) as z.output<typeof verifyQuery>;
  } catch (error) {
    if (error instanceof HttpError) exitWith(ERROR, `${error.code}: ${error.message}\n${USAGE}`);
    throw error;
  }
  const range = {
    ...(options.from ? { from: options.from } : {}),
    ...(options.to ? { to: options.to } : {}),
  };
  const { channelId, userId } = options;
  const filter = {
    ...(channelId !== undefined ? { channelId } : {}),
    ...(channelId !== undefined && userId !== undefined ? { subject: { channelId, userId } } : {}),
  };
  const against = args.against;
  const checkpointOut = args['checkpoint-out'];
  if ((against || checkpointOut) && (range.from || range.to || filter.channelId)) {
    exitWith(
      ERROR,
      `--against and --checkpoint-out cover the whole store: not with --from, --to, --channel or --user\n${USAGE}`,
    );
  }
  if (args.digest !== undefined && (!against || !/^[0-9a-f]{64}$/.test(args.digest))) {
    exitWith(ERROR, `--digest takes the 64 hex digits of the --against file's digest\n${USAGE}`);
  }

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) exitWith(ERROR, error.message);
    throw error;
  }
  if (config.STORE === 'memory') {
    exitWith(ERROR, 'STORE=memory keeps nothing between processes: there is no ledger to verify');
  }
  // Opening the embedded store creates it: verifying a mistyped DATA_DIR must not.
  if (config.STORE === 'embedded' && !existsSync(config.DATA_DIR)) {
    exitWith(ERROR, `DATA_DIR ${config.DATA_DIR} does not exist: no embedded store to verify`);
  }
  // The server's secret: pseudonyms, and the key that seals every event (run with the same
  // SECRET_KEY, SECRET_KEY_FILE or DATA_DIR as npm start, or every sealed event reads as forged).
  const secret = findMasterSecret(config);
  if (!secret) {
    exitWith(
      ERROR,
      'No secret: set SECRET_KEY or SECRET_KEY_FILE as for npm start (seals and pseudonyms need it)',
    );
  }
  const keys = deriveKeys(secret);
  const query: LedgerQuery = {
    ...(filter.subject
      ? { subject: keys.ledgerSubject(filter.subject) }
      : filter.channelId
        ? { channelId: filter.channelId }
        : {}),
    ...range,
  };

  const stores = await openStores(config, { seal: sealerOf(keys.sealKey) });
  let anchor: Awaited<ReturnType<typeof openCheckpoint>> | undefined;
  let output: Awaited<ReturnType<typeof createCheckpoint>> | undefined;
  try {
    anchor = against
      ? await openCheckpoint(against).catch((error: unknown) => {
          throw new FileError(`The checkpoint ${against} cannot be read (${failureOf(error)})`);
        })
      : undefined;
    output = checkpointOut
      ? await createCheckpoint(checkpointOut, new Date()).catch((error: unknown) => {
          throw new FileError(
            `The checkpoint ${checkpointOut} cannot be created (${failureOf(error)}): it is never overwritten`,
          );
        })
      : undefined;
    const report = await verifyLedger(stores.ledger, query, {
      checkEvent: proofChecksOf(stores, keys, config, () => new Date())(),
      sealKey: keys.sealKey,
      ...(anchor
        ? {
            against: anchor.reader.heads(),
            againstSealed: () => anchor?.reader.header?.sealed === true,
          }
        : {}),
      ...(output ? { onHead: output.head } : {}),
    });
    let checked: CheckpointSummary | undefined;
    if (anchor) {
      // The walk read it to its end, so its header and checked trailer are known.
      const { header, trailer } = anchor.reader;
      if (!header || !trailer) throw new CheckpointError('not read to its end');
      if (args.digest !== undefined && args.digest !== trailer.digest) {
        throw new CheckpointError(
          `its digest ${trailer.digest} is not the one given (${args.digest}): another checkpoint`,
        );
      }
      checked = { file: against ?? '', createdAt: header.createdAt, ...trailer };
    }
    const checkpoints: Checkpoints = {
      ...(checked ? { against: checked } : {}),
      ...(output ? { checkpoint: await output.seal(report.problemCount) } : {}),
    };
    process.stdout.write(
      args.json
        ? `${JSON.stringify({
            ...report,
            ...(query.from ? { from: query.from.toISOString() } : {}),
            ...(query.to ? { to: query.to.toISOString() } : {}),
            ...checkpoints,
          })}\n`
        : describeReport(report, query, checkpoints),
    );
    return report.intact ? INTACT : PROBLEMS;
  } catch (error) {
    await output?.discard();
    if (error instanceof FileError) process.stderr.write(`${error.message}\n`);
    else if (error instanceof CheckpointError) {
      process.stderr.write(`The checkpoint ${against} cannot be trusted: ${error.message}\n`);
    } else throw error;
    return ERROR;
  } finally {
    await anchor?.handle.close();
    await stores.close();
  }
}

// A walk that stalls (a stream that never settles) would let Node exit 0 with nothing said: a
// verification that did not finish must never read as "intact".
let settled = false;
process.once('beforeExit', () => {
  if (!settled) exitWith(ERROR, 'The verification stopped before it finished.');
});

main().then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (error: unknown) => {
    // The class and code only: a driver's message may quote the URI and its credentials.
    const code = (error as { code?: unknown }).code;
    exitWith(
      ERROR,
      `The ledger could not be verified: ${error instanceof Error ? error.name : 'error'}${
        typeof code === 'string' ? ` (${code})` : ''
      }`,
    );
  },
);
