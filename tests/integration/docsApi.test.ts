import { describe, expect, it } from 'vitest';
import type { DocDetails, DocList, DocSummary } from '../../shared/api.js';
import { DOC_ID_PATTERN } from '../../shared/docId.js';
import { api, registerUser } from '../helpers/accounts.js';
import { connectClient, whenSynced } from '../helpers/clients.js';
import { startServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

describe('REST API', () => {
  it('creates documents with unguessable ids, lists them newest first, and reflects live titles', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server);
    const created: DocSummary[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await api<DocSummary>(server, 'POST', '/api/docs', { cookie: ann.cookie });
      expect(response.status).toBe(201);
      const doc = response.body;
      expect(response.headers.get('location')).toBe(`/d/${doc.id}`);
      expect(doc.id).toMatch(DOC_ID_PATTERN);
      expect(Buffer.from(doc.id, 'base64url').length).toBeGreaterThanOrEqual(12); // ≥ 96 bits
      expect(doc.title).toBe('');
      created.push(doc);
    }
    expect(new Set(created.map((d) => d.id)).size).toBe(3);

    // Title the first one through the document itself; the list follows, live and after unload.
    const target = created[0]!;
    const client = connectClient(server.collabUrl, target.id);
    await whenSynced(client);
    client.doc.getText('title').insert(0, 'Meeting notes');
    const list = async () => (await api<DocList>(server, 'GET', '/api/docs', { cookie: ann.cookie })).body.documents;
    await waitFor(async () => (await list())[0]?.title === 'Meeting notes', 'the edited document to lead the list with its title');
    expect((await list()).map((d) => d.id).sort()).toEqual(created.map((d) => d.id).sort());
    expect((await list()).every((d) => d.role === 'owner')).toBe(true);

    const details = (await api<DocDetails>(server, 'GET', `/api/docs/${target.id}`, { cookie: ann.cookie })).body;
    expect(details).toMatchObject({ id: target.id, title: 'Meeting notes', connections: 1, myRole: 'owner', linkAccess: 'edit', owner: { id: ann.id, name: ann.name } });
    expect(details.storedBytes).toBeGreaterThan(0);
    expect(details.updatedAt).toBeGreaterThanOrEqual(details.createdAt);

    client.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload');
    expect((await list())[0]).toMatchObject({ id: target.id, title: 'Meeting notes' });
  });

  it('answers unknown and invalid ids with clear errors', async () => {
    const server = await startServer();
    const missing = await fetch(`${server.httpUrl}/api/docs/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    const invalid = await fetch(`${server.httpUrl}/api/docs/a.b`);
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: 'invalid_id' });
  });

  it('reports health with live figures', async () => {
    const server = await startServer();
    const response = await fetch(`${server.httpUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', rooms: 0, connections: 0 });
  });
});
