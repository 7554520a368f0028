// The REST API (/v1), called with the signed-in user's token. Failures are
// thrown as ApiError carrying the RFC 9457 problem stepd answered.
import { currentSession } from './auth.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code || '';
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export async function api(path, { method = 'GET', body, query, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const session = currentSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    const text = params.toString();
    if (text) url += (url.includes('?') ? '&' : '?') + text;
  }
  let response;
  try {
    response = await fetch(url, {
      method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'stepd is unreachable', detail: `stepd did not answer: ${e.message}` });
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const problem = json && typeof json === 'object' ? json : { title: `HTTP ${response.status}`, detail: text.slice(0, 300) };
    if (response.status === 401) onUnauthorized(problem);
    throw new ApiError(response.status, problem);
  }
  return json;
}

export const enc = encodeURIComponent;
