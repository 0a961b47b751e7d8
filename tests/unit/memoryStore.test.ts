import { storeContract } from '../helpers/storeContract.js';
import { emptyMemoryData, openMemoryStore } from '../../server/store/memoryStore.js';

// The in-memory store (the bench's scenario D, and unit tests' rooms) keeps the same contract as SQLite.
storeContract('memory', () => {
  const data = emptyMemoryData();
  return { store: openMemoryStore(data), reopen: () => openMemoryStore(data) };
});
