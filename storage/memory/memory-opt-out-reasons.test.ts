import { describeOptOutReasonsContract } from '../../test/opt-out-reasons-contract.js';
import { MemoryOptOutReasons } from './memory-opt-out-reasons.js';

describeOptOutReasonsContract('memory', () => ({
  reasons: new MemoryOptOutReasons(),
  close: () => Promise.resolve(),
}));
