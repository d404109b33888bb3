/**
 * The small HTTP client the demo talks to the API with: plain fetch, as any client of the registry would,
 * with the credential of whoever acts (a user's session or a gateway's API key).
 */

export type Credential = { session: string } | { apiKey: string } | undefined;

interface Problem {
  title?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

/** The API refused a request: the message carries the problem details, so a failed demo says what went wrong. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    const fields = problem?.errors?.map((e) => `${e.field} ${e.message}`).join("; ");
    super(`${method} ${path} answered ${status}${problem?.title ? ` ${problem.title}` : ""}${problem?.detail ? `: ${problem.detail}` : ""}${fields ? ` (${fields})` : ""}`);
    this.name = "ApiError";
  }
}

export interface RequestOptions {
  as?: Credential;
  /** Sent as JSON unless `contentType` says otherwise (then it must be a string). */
  body?: unknown;
  contentType?: string;
}

export interface ApiClient {
  baseUrl: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, as?: Credential): Promise<T>;
  post<T>(path: string, body: unknown, as?: Credential): Promise<T>;
  /** Every item of a cursor-paged list (`items`, `nextCursor`). */
  all<T>(path: string, as?: Credential): Promise<T[]>;
}

function headersFor(credential: Credential, contentType: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (contentType) headers["content-type"] = contentType;
  if (credential && "session" in credential) headers.authorization = `Bearer ${credential.session}`;
  if (credential && "apiKey" in credential) headers["x-api-key"] = credential.apiKey;
  return headers;
}

export function apiClient(baseUrl: string): ApiClient {
  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<T> => {
    const contentType = options.body === undefined ? undefined : (options.contentType ?? "application/json");
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: headersFor(options.as, contentType),
      body: options.body === undefined ? undefined : options.contentType ? String(options.body) : JSON.stringify(options.body),
    });
    const text = await response.text();
    const parsed: unknown = text === "" ? undefined : JSON.parse(text);
    if (!response.ok) throw new ApiError(method, path, response.status, parsed as Problem | undefined);
    return parsed as T;
  };
  const client: ApiClient = {
    baseUrl,
    request,
    get: (path, as) => request("GET", path, { as }),
    post: (path, body, as) => request("POST", path, { as, body }),
    async all<T>(path: string, as?: Credential) {
      const items: T[] = [];
      let cursor: string | null = null;
      do {
        const separator = path.includes("?") ? "&" : "?";
        const page: { items: T[]; nextCursor: string | null } = await request("GET", cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`, { as });
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      return items;
    },
  };
  return client;
}

/** Polls `probe` until it returns a value (not undefined), or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
