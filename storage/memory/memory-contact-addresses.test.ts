import { describeContactAddressesContract } from '../../test/contact-addresses-contract.js';
import { MemoryContactAddresses } from './memory-contact-addresses.js';

describeContactAddressesContract('memory', () => ({
  addresses: new MemoryContactAddresses(),
  close: () => Promise.resolve(),
}));
