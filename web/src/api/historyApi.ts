import { type Version, type VersionChanges, type VersionContent, type VersionList, versionsPath } from '../../../shared/history.js';
import { request, sendJson } from './request.js';

// REST calls for a document's version history (/api/docs/:id/versions…).

/** GET …/versions: newest first. */
export async function listVersions(docId: string): Promise<Version[]> {
  return (await request<VersionList>(versionsPath(docId))).versions;
}

/** POST …/versions: a named version of the current state. */
export function nameCurrentVersion(docId: string, name: string): Promise<Version> {
  return sendJson<Version>('POST', versionsPath(docId), { name });
}

/** PATCH …/versions/:vid: names (null: unnames) a version. */
export function renameVersion(docId: string, id: number, name: string | null): Promise<Version> {
  return sendJson<Version>('PATCH', `${versionsPath(docId)}/${id}`, { name });
}

/** GET …/versions/:vid?format=json. */
export function versionContent(docId: string, id: number): Promise<VersionContent> {
  return request<VersionContent>(`${versionsPath(docId)}/${id}?format=json`);
}

/** GET …/versions/:vid/changes (id 'current': from `since` to now). */
export function versionChanges(docId: string, id: number | 'current', since?: number): Promise<VersionChanges> {
  return request<VersionChanges>(`${versionsPath(docId)}/${id}/changes${since === undefined ? '' : `?since=${since}`}`);
}

/** POST …/versions/:vid/restore: resolves once the restore is committed. */
export function restoreVersion(docId: string, id: number): Promise<{ before: Version }> {
  return sendJson<{ before: Version }>('POST', `${versionsPath(docId)}/${id}/restore`);
}
