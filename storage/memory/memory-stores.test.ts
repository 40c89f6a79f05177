import { describeAccessLogContract } from '../../test/access-log-contract.js';
import {
  describeBotStateContract,
  describeConsentLedgerContract,
  describeLedgerSearchContract,
} from '../../test/storage-contract.js';
import { openMemoryStores } from '../stores.js';

describeConsentLedgerContract('memory', openMemoryStores);
describeLedgerSearchContract('memory', openMemoryStores);
describeBotStateContract('memory', openMemoryStores);
describeAccessLogContract('memory', openMemoryStores);
