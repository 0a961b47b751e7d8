import { expect } from 'vitest';
import { connectClient, textOf, whenSynced } from './clients.js';
import type { TestServer } from './testServer.js';
import { uniqueDocId } from './testServer.js';
import { waitFor } from './waitFor.js';

/**
 * Two clients on a document of their own, for tests that attack another document: `stillServed()`
 * types once more and fails unless the edit reaches the other client and neither was disconnected.
 */
export async function bystander(server: TestServer): Promise<{ stillServed(): Promise<void> }> {
  const docId = uniqueDocId('bystander');
  const writer = connectClient(server.collabUrl, docId);
  const reader = connectClient(server.collabUrl, docId);
  await Promise.all([whenSynced(writer), whenSynced(reader)]);
  let count = 0;
  return {
    async stillServed() {
      count += 1;
      writer.doc.getText('text').insert(0, 'x');
      await waitFor(() => textOf(reader).length === count, 'the bystander document to keep syncing');
      expect(writer.provider.wsconnected && reader.provider.wsconnected).toBe(true);
    },
  };
}
