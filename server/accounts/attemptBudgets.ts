import type Database from 'better-sqlite3';
import type { Pool } from 'pg';
import { inTransaction } from '../db/postgresTransaction.js';

// Budgets of sign-in attempts: token buckets kept in the database, so that every process on one
// database spends from the same budget (a limit held per process would multiply by the number of
// processes) and a restart does not hand an attacker a fresh one. The arithmetic is here once; the
// SQLite and PostgreSQL account stores each get their three methods from this file.

/** A budget: up to `burst` attempts, refilled at `ratePerSecond`, shared by everyone under `key`. */
export interface AttemptBudget {
  key: string;
  ratePerSecond: number;
  burst: number;
}

/** The AccountStore methods that keep attempt budgets. */
export interface AttemptBudgetStore {
  /**
   * Spends one attempt from every budget at `now` (ms) — from all of them, or, when any has less
   * than one left, from none. Resolves to 0 when spent, else to the ms until every budget has one.
   */
  spendAttempt(budgets: readonly AttemptBudget[], now: number): Promise<number>;
  /** Gives one attempt back to each budget, never past its burst (one not stored is full already). */
  refundAttempt(budgets: readonly AttemptBudget[], now: number): Promise<void>;
  /** Forgets the budgets that are full again at `now` (they mean the same as no row); resolves to how many. */
  forgetFullBudgets(now: number): Promise<number>;
}

/** What a budget's row holds: `tokens` left as of `at`, and when it is full again (`fullAt`). */
interface BudgetRow {
  key: string;
  tokens: number;
  at: number;
  fullAt: number;
}

/** The attempts the budget has at `now`, refilled since its row (full when it has none). */
function tokensAt(budget: AttemptBudget, row: BudgetRow | undefined, now: number): number {
  if (!row) return budget.burst;
  // Another process's clock may be a little ahead: time never runs backwards for a budget.
  const elapsed = Math.max(0, now - row.at);
  return Math.min(budget.burst, row.tokens + (elapsed * budget.ratePerSecond) / 1000);
}

function rowOf(budget: AttemptBudget, tokens: number, now: number): BudgetRow {
  return { key: budget.key, tokens, at: now, fullAt: now + Math.ceil(((budget.burst - tokens) * 1000) / budget.ratePerSecond) };
}

/**
 * Spending one attempt from each budget, given their rows: the rows to write, or (writing nothing)
 * the ms until every budget has an attempt again.
 */
function spend(budgets: readonly AttemptBudget[], rows: ReadonlyMap<string, BudgetRow>, now: number): BudgetRow[] | number {
  const tokens = budgets.map((budget) => tokensAt(budget, rows.get(budget.key), now));
  const waits = budgets.map((budget, i) => (tokens[i]! >= 1 ? 0 : Math.ceil(((1 - tokens[i]!) * 1000) / budget.ratePerSecond)));
  const wait = Math.max(0, ...waits);
  if (wait > 0) return wait;
  return budgets.map((budget, i) => rowOf(budget, tokens[i]! - 1, now));
}

/** Giving one attempt back to each budget that has a row (one without is full). */
function refund(budgets: readonly AttemptBudget[], rows: ReadonlyMap<string, BudgetRow>, now: number): BudgetRow[] {
  return budgets.flatMap((budget) => {
    const row = rows.get(budget.key);
    return row ? [rowOf(budget, Math.min(budget.burst, tokensAt(budget, row, now) + 1), now)] : [];
  });
}

const byKey = (rows: readonly BudgetRow[]) => new Map(rows.map((row) => [row.key, row]));

/** The budgets of a SQLite account store (table: migration 4 in server/db/sqliteSchema.ts). */
export function sqliteAttemptBudgets(db: Database.Database): AttemptBudgetStore {
  const select = db.prepare<[string], BudgetRow>('SELECT key, tokens, at, full_at AS fullAt FROM attempt_budgets WHERE key = ?');
  const upsert = db.prepare<BudgetRow>(
    `INSERT INTO attempt_budgets (key, tokens, at, full_at) VALUES (@key, @tokens, @at, @fullAt)
     ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at, full_at = excluded.full_at`,
  );
  const forget = db.prepare<[number]>('DELETE FROM attempt_budgets WHERE full_at <= ?');
  const rowsOf = (budgets: readonly AttemptBudget[]) => byKey(budgets.flatMap((budget) => select.all(budget.key)));
  // Immediate: the read and the write are one step for every connection to the file.
  const spendTx = db.transaction((budgets: readonly AttemptBudget[], now: number): number => {
    const written = spend(budgets, rowsOf(budgets), now);
    if (typeof written === 'number') return written;
    for (const row of written) upsert.run(row);
    return 0;
  });
  const refundTx = db.transaction((budgets: readonly AttemptBudget[], now: number) => {
    for (const row of refund(budgets, rowsOf(budgets), now)) upsert.run(row);
  });
  return {
    async spendAttempt(budgets, now) {
      return spendTx.immediate(budgets, now);
    },
    async refundAttempt(budgets, now) {
      refundTx.immediate(budgets, now);
    },
    async forgetFullBudgets(now) {
      return forget.run(now).changes;
    },
  };
}

// Locks every budget's row, making the missing ones (full), in key order so that two processes'
// transactions cannot deadlock; ON CONFLICT DO UPDATE locks an existing row and returns it as it was.
const LOCK_BUDGETS_SQL = `
INSERT INTO attempt_budgets (key, tokens, at, full_at)
SELECT key, burst, $3::bigint, $3::bigint FROM unnest($1::text[], $2::float8[]) AS t(key, burst) ORDER BY key
ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
RETURNING key, tokens, at, full_at AS "fullAt"`;

const WRITE_BUDGETS_SQL = `
UPDATE attempt_budgets AS b SET tokens = t.tokens, at = t.at, full_at = t.full_at
FROM unnest($1::text[], $2::float8[], $3::bigint[], $4::bigint[]) AS t(key, tokens, at, full_at)
WHERE b.key = t.key`;

/** The budgets of a PostgreSQL account store (table: migration 4 in server/db/postgresSchema.ts). */
export function postgresAttemptBudgets(pool: Pool): AttemptBudgetStore {
  /** Runs `change` on the locked rows of `budgets` and writes the rows it returns, in one transaction. */
  function withLockedRows<T>(budgets: readonly AttemptBudget[], now: number, change: (rows: Map<string, BudgetRow>) => { write: BudgetRow[]; result: T }): Promise<T> {
    return inTransaction(pool, async (client) => {
      const locked = await client.query<{ key: string; tokens: number; at: string; fullAt: string }>(LOCK_BUDGETS_SQL, [
        budgets.map((budget) => budget.key),
        budgets.map((budget) => budget.burst),
        now,
      ]);
      const rows = byKey(locked.rows.map((row) => ({ key: row.key, tokens: row.tokens, at: Number(row.at), fullAt: Number(row.fullAt) })));
      const { write, result } = change(rows);
      if (write.length > 0) {
        await client.query(WRITE_BUDGETS_SQL, [write.map((row) => row.key), write.map((row) => row.tokens), write.map((row) => row.at), write.map((row) => row.fullAt)]);
      }
      return result;
    });
  }
  return {
    spendAttempt(budgets, now) {
      return withLockedRows(budgets, now, (rows) => {
        const written = spend(budgets, rows, now);
        return typeof written === 'number' ? { write: [], result: written } : { write: written, result: 0 };
      });
    },
    refundAttempt(budgets, now) {
      return withLockedRows(budgets, now, (rows) => ({ write: refund(budgets, rows, now), result: undefined }));
    },
    async forgetFullBudgets(now) {
      return (await pool.query('DELETE FROM attempt_budgets WHERE full_at <= $1', [now])).rowCount ?? 0;
    },
  };
}
