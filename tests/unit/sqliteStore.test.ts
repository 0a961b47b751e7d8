import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { storeContract } from '../helpers/storeContract.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';

storeContract('SQLite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-store-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  const open = () => openSqliteStore({ dataDir: dir, synchronous: 'normal' });
  return { store: open(), reopen: open };
});

// Every compaction in steps (compactStepBytes 1): the same contract holds (sqliteCompactSteps.test.ts tests the steps themselves).
storeContract('SQLite, compacting in steps', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-store-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  const open = () => openSqliteStore({ dataDir: dir, synchronous: 'normal', compactStepBytes: 1 });
  return { store: open(), reopen: open };
});
