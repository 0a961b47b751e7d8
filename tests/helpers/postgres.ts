import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { afterAll } from 'vitest';
import type { DocStore } from '../../server/store/docStore.js';
import { waitFor } from './waitFor.js';

const run = promisify(execFile);

/** The local server's maintenance database, as the `postgres` superuser (trust auth on 127.0.0.1). */
const ADMIN_URL = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function isReady(): Promise<boolean> {
  try {
    await run('pg_isready', ['-q', '-h', '127.0.0.1']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves once the local PostgreSQL server accepts connections, starting its Debian cluster when
 * it is down. Two test files may both find it down and both start it: the second start fails with
 * "already running", which is fine, so only readiness decides.
 */
export async function ensurePostgres(): Promise<void> {
  if (await isReady()) return;
  const versions = fs.readdirSync('/etc/postgresql');
  for (const version of versions) {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']).catch(() => undefined);
  }
  await waitFor(isReady, 'PostgreSQL to accept connections', 30_000, 100);
}

/**
 * Fresh databases on the local server for one test file. Call at the file's top level: every
 * database `create()` made is dropped (WITH (FORCE), closing connections left open) after the file.
 */
export function postgresDatabases(): { create(): Promise<string> } {
  const names: string[] = [];
  let admin: Pool | null = null;
  afterAll(async () => {
    if (!admin) return;
    try {
      for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });
  return {
    /** Creates an empty database and resolves to its postgres:// URL. */
    async create() {
      if (!admin) {
        await ensurePostgres();
        admin = new Pool({ connectionString: ADMIN_URL, max: 2 });
      }
      // Only [a-z0-9_]: safe to splice into DDL, which takes no parameters.
      const name = `tandem_test_${process.pid}_${crypto.randomBytes(6).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      names.push(name);
      const url = new URL(ADMIN_URL);
      url.pathname = `/${name}`;
      return url.toString();
    },
  };
}

/**
 * A DocStore over a store that is still opening, for suites (the store contract) whose `open` is
 * synchronous: every call waits for the store, and rejects if opening failed.
 */
export function whenOpened(opening: Promise<DocStore>): DocStore {
  // Keeps an opening failure from being reported as unhandled before the first call awaits it.
  opening.catch(() => undefined);
  const history = async () => (await opening).history;
  return {
    history: {
      listVersions: async (docId) => (await history()).listVersions(docId),
      getVersion: async (docId, id) => (await history()).getVersion(docId, id),
      createVersion: async (docId, version, onlyIfChanged, burstEndedAt) => (await history()).createVersion(docId, version, onlyIfChanged, burstEndedAt),
      renameVersion: async (docId, id, name) => (await history()).renameVersion(docId, id, name),
      readLog: async (docId, throughSeq, afterSeq) => (await history()).readLog(docId, throughSeq, afterSeq),
      readCheckpointed: async (docId, throughSeq) => (await history()).readCheckpointed(docId, throughSeq),
      logSizes: async (docId) => (await history()).logSizes(docId),
      putCheckpoint: async (docId, seq, data) => (await history()).putCheckpoint(docId, seq, data),
      mergeHistory: async (docId, range) => (await history()).mergeHistory(docId, range),
    },
    load: async (docId) => (await opening).load(docId),
    loadSince: async (docId, afterSeq, except) => (await opening).loadSince(docId, afterSeq, except),
    appendBatch: async (entries) => (await opening).appendBatch(entries),
    compact: async (docId, snapshot, throughSeq) => (await opening).compact(docId, snapshot, throughSeq),
    create: async (docId) => (await opening).create(docId),
    delete: async (docId) => (await opening).delete(docId),
    describe: async (docId) => (await opening).describe(docId),
    list: async (limit) => (await opening).list(limit),
    setTitle: async (docId, title) => (await opening).setTitle(docId, title),
    check: async () => (await opening).check(),
    close: async () => (await opening).close(),
  };
}
