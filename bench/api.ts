/**
 * Minimal Engine API calls over the unix socket, for fast untimed setup (500 tags through
 * the CLI would take as long as the benchmark itself).
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';

export interface ApiResponse {
  status: number;
  body: string;
}

export function api(socketPath: string, method: string, path: string, bodyFile?: string): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = bodyFile ? { 'Content-Type': 'application/x-tar' } : {};
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (bodyFile) pipeline(createReadStream(bodyFile), req).catch(reject);
    else req.end();
  });
}

/** Like `api`, but rejects unless the status is 2xx. */
export async function apiOk(socketPath: string, method: string, path: string, bodyFile?: string): Promise<string> {
  const r = await api(socketPath, method, path, bodyFile);
  if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body.trim()}`);
  return r.body;
}

/** POST /images/load; rejects when the stream carries an error message. */
export async function loadImage(socketPath: string, archive: string): Promise<void> {
  const body = await apiOk(socketPath, 'POST', '/images/load?quiet=1', archive);
  if (/"error(Detail)?"\s*:/.test(body)) throw new Error(`POST /images/load ${archive}: ${body.trim()}`);
}

/** DELETE /images/{ref}?force=1, treating 404 as done. */
export async function removeImage(socketPath: string, ref: string): Promise<void> {
  const r = await api(socketPath, 'DELETE', `/images/${encodeURIComponent(ref)}?force=1`);
  if (r.status !== 200 && r.status !== 404) throw new Error(`DELETE /images/${ref}: ${r.status} ${r.body.trim()}`);
}

export async function listImageRefs(socketPath: string): Promise<{ id: string; tags: string[] }[]> {
  const list = JSON.parse(await apiOk(socketPath, 'GET', '/images/json')) as { Id: string; RepoTags: string[] | null }[];
  return list.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [] }));
}

/** A JSON request; rejects unless the status is 2xx. */
export function apiJsonOk(socketPath: string, method: string, path: string, body: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = request({ socketPath, method, path, headers: { 'Content-Type': 'application/json', 'Content-Length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) reject(new Error(`${method} ${path}: ${status} ${text.trim()}`));
        else resolve(text);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Force-removes every container (running or not) whose label `key` is set. */
export async function removeLabelled(socketPath: string, key: string): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ label: [key] }));
  const list = JSON.parse(await apiOk(socketPath, 'GET', `/containers/json?all=1&filters=${filters}`)) as { Id: string }[];
  for (let i = 0; i < list.length; i += 10) {
    await Promise.all(list.slice(i, i + 10).map((c) => apiOk(socketPath, 'DELETE', `/containers/${c.Id}?force=1`)));
  }
  return list.length;
}
