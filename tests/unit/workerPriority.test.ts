import fs from 'node:fs';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryThread } from '../../server/history/historyThread.js';

/** The nice value of each of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[16]);
  });
}

const threads: HistoryThread[] = [];
afterEach(async () => {
  for (const thread of threads.splice(0)) await thread.close();
});

describe.runIf(process.platform === 'linux')('worker threads yield to the event loop', () => {
  it("the history thread runs at nice 10, and the process's other threads keep their priority", async () => {
    const before = threadNiceValues();
    expect(before.filter((nice) => nice === 10)).toEqual([]);
    const thread = new HistoryThread();
    threads.push(thread);
    const doc = new Y.Doc();
    doc.getXmlFragment('prosemirror').insert(0, [new Y.XmlElement('paragraph')]);
    // A task answered means the thread ran its start-up, which lowers its own priority.
    await thread.run({ kind: 'content', updates: [Y.encodeStateAsUpdate(doc)], format: 'json' });
    const after = threadNiceValues();
    expect(after.filter((nice) => nice === 10).length).toBe(1);
    expect(after.filter((nice) => nice !== 10).every((nice) => nice === before[0])).toBe(true);
  });
});
