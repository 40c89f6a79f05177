/**
 * Verifies the consent ledger's hash chains on the configured store, the way the server would
 * open it (same environment variables, same secret):
 *
 *   npm run verify -- [--from D] [--to D] [--channel C --user U] [--json]
 *
 * D is a day (YYYY-MM-DD, UTC midnight) or an ISO date-time with an offset; --from is included,
 * --to is not. Exit status: 0 intact, 1 problems found, 2 bad usage, bad config or store error.
 * Prints counts, pseudonymous subject keys and event ids, never a raw user id.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { QueryError, rangeOf, subjectFilterOf } from '../bot/compliance-params.js';
import { ConfigError, loadConfig } from '../bot/config.js';
import { openStores } from '../bot/configured-stores.js';
import { verifyLedger, type VerificationReport } from '../bot/ledger-verification.js';
import { createLogger } from '../bot/log.js';
import { deriveKeys, loadMasterSecret } from '../bot/secrets.js';
import type { LedgerQuery } from '../consent/ledger.js';

const USAGE =
  'usage: npm run verify -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--channel ID --user ID] [--json]';

const INTACT = 0;
const PROBLEMS = 1;
const ERROR = 2;

function exitWith(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function describeReport(report: VerificationReport, query: LedgerQuery): string {
  const window =
    query.from || query.to
      ? ` from ${query.from?.toISOString() ?? 'the start'} to ${query.to?.toISOString() ?? 'now'}`
      : '';
  const lines = [
    `Ledger verification (${report.scope}${window}): ${report.subjects} subjects, ${report.events} events.`,
  ];
  if (report.intact) {
    lines.push('Intact: every hash chain is whole.');
  } else {
    lines.push(`NOT INTACT: ${report.problemCount} problem(s).`);
    for (const p of report.problems) {
      lines.push(`  ${p.kind.padEnd(12)} ${p.subject}  seq ${p.seq}  event ${p.eventId}`);
    }
    if (report.problemCount > report.problems.length) {
      lines.push(`  ... and ${report.problemCount - report.problems.length} more`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        channel: { type: 'string' },
        user: { type: 'string' },
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
  let range;
  let filter;
  try {
    range = rangeOf({
      ...(args.from !== undefined ? { from: args.from } : {}),
      ...(args.to !== undefined ? { to: args.to } : {}),
    });
    filter = subjectFilterOf({
      ...(args.channel !== undefined ? { channelId: args.channel } : {}),
      ...(args.user !== undefined ? { userId: args.user } : {}),
    });
  } catch (error) {
    if (error instanceof QueryError) exitWith(ERROR, `${error.code}: ${error.message}\n${USAGE}`);
    throw error;
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
  // Logs go to stderr, so that --json output on stdout stays one JSON document.
  const log = createLogger(config.LOG_LEVEL, (line) => process.stderr.write(`${line}\n`));
  const query: LedgerQuery = {
    ...(filter.subject
      ? { subject: deriveKeys(loadMasterSecret(config, log)).ledgerSubject(filter.subject) }
      : filter.channelId
        ? { channelId: filter.channelId }
        : {}),
    ...range,
  };

  const stores = await openStores(config);
  try {
    const report = await verifyLedger(stores.ledger, query);
    process.stdout.write(
      args.json
        ? `${JSON.stringify({
            ...report,
            ...(query.from ? { from: query.from.toISOString() } : {}),
            ...(query.to ? { to: query.to.toISOString() } : {}),
          })}\n`
        : describeReport(report, query),
    );
    return report.intact ? INTACT : PROBLEMS;
  } finally {
    await stores.close();
  }
}

main().then(
  (code) => {
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
