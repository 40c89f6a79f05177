import { describePendingConfirmationsContract } from '../../test/confirmations-contract.js';
import { describeSuppressionListContract } from '../../test/suppression-contract.js';
import { MemoryPendingConfirmations } from './memory-pending-confirmations.js';
import { MemorySuppressionList } from './memory-suppression-list.js';

const close = () => Promise.resolve();

describeSuppressionListContract('memory', () => ({
  suppression: new MemorySuppressionList(),
  close,
}));
describePendingConfirmationsContract('memory', () => ({
  confirmations: new MemoryPendingConfirmations(),
  close,
}));
