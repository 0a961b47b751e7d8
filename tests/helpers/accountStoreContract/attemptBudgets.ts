import { describe, expect, it, onTestFinished } from 'vitest';
import type { ContractKit } from './kit.js';

/** The contract's block for AttemptBudgetStore: spending, refunds, forgetting full budgets, one budget per database. */
export function attemptBudgetsContract({ fresh }: ContractKit): void {
  describe('sign-in attempt budgets', () => {
    // 3 attempts, one back every 20 s; and 5, one back every 12 s.
    const small = { key: 'ip:10.0.0.1', ratePerSecond: 3 / 60, burst: 3 };
    const large = { key: 'name:ann', ratePerSecond: 5 / 60, burst: 5 };

    it('spends from every budget or from none, says how long to wait, and refills over time', async () => {
      const { store } = await fresh();
      for (let i = 0; i < 3; i++) expect(await store.spendAttempt([small, large], 1000)).toBe(0);
      // The small budget is empty: 20 s until one attempt is back; the large one loses nothing.
      expect(await store.spendAttempt([small, large], 1000)).toBe(20_000);
      expect(await store.spendAttempt([large], 1000)).toBe(0);
      expect(await store.spendAttempt([large], 1000)).toBe(0);
      expect(await store.spendAttempt([large], 1000)).toBe(12_000);
      // 5 s later the small budget has a quarter of an attempt: 15 s to go.
      expect(await store.spendAttempt([small], 6000)).toBe(15_000);
      expect(await store.spendAttempt([small], 21_000)).toBe(0);
      expect(await store.spendAttempt([small], 21_000)).toBe(20_000);
      // Another key is another budget.
      expect(await store.spendAttempt([{ ...small, key: 'ip:10.0.0.2' }], 21_000)).toBe(0);
    });

    it('gives attempts back, never past the burst, and forgets budgets that are full again', async () => {
      const { store } = await fresh();
      await store.spendAttempt([small], 0);
      await store.spendAttempt([small], 0);
      await store.refundAttempt([small, large], 0);
      await store.refundAttempt([small], 0);
      await store.refundAttempt([small], 0);
      // Back to three (not four), and the large budget, never spent, is still full.
      for (let i = 0; i < 3; i++) expect(await store.spendAttempt([small, large], 0)).toBe(0);
      expect(await store.spendAttempt([small], 0)).toBeGreaterThan(0);
      // The large budget (2 of 5 left at 0) is full again at 36 s, the small one (empty) at 60 s.
      expect(await store.forgetFullBudgets(35_000)).toBe(0);
      expect(await store.forgetFullBudgets(60_000)).toBe(2);
      expect(await store.spendAttempt([small], 60_000)).toBe(0);
      expect(await store.forgetFullBudgets(60_000)).toBe(0);
    });

    it('is one budget for every store on the same data, and survives a reopen', async () => {
      const { store, reopen } = await fresh();
      const other = await reopen();
      onTestFinished(() => other.close());
      const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : other).spendAttempt([small, large], 0)));
      expect(outcomes.filter((wait) => wait === 0)).toHaveLength(3);
      await other.close();
      const again = await reopen();
      onTestFinished(() => again.close());
      expect(await again.spendAttempt([small], 0)).toBe(20_000);
      expect(await again.spendAttempt([large], 0)).toBe(0);
      expect(await again.spendAttempt([large], 0)).toBe(0);
      expect(await again.spendAttempt([large], 0)).toBe(12_000);
    });
  });
}
