import { describeTranscriptStoreContract } from '../../test/transcript-contract.js';
import { MemoryTranscriptStore } from './memory-transcript-store.js';

describeTranscriptStoreContract('memory', () =>
  Promise.resolve({ store: new MemoryTranscriptStore(), close: () => Promise.resolve() }),
);
