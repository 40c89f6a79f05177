import {
  describeBotStateContract,
  describeConsentLedgerContract,
} from '../../test/storage-contract.js';
import { openMemoryStores } from '../stores.js';

describeConsentLedgerContract('memory', openMemoryStores);
describeBotStateContract('memory', openMemoryStores);
