import {
  describeBotStateContract,
  describeConsentLedgerContract,
} from '../../test/storage-contract.js';
import { openTestMongoStores } from '../../test/mongo-database.js';

describeConsentLedgerContract('mongo', () => openTestMongoStores());
describeBotStateContract('mongo', () => openTestMongoStores());
