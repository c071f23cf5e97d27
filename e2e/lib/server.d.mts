// Types for server.mjs, for the SDK's TypeScript tests that start the real server with it.
export interface ApiReply {
  status: number;
  body: any;
}

export interface RunningServer {
  base: string;
  token: string;
  logs: string[];
  api(method: string, path: string, body?: unknown): Promise<ApiReply>;
  tenant(id: string, settings?: Record<string, unknown>): Promise<void>;
  user(tenant: string, email: string, password: string, extra?: Record<string, unknown>): Promise<string>;
  catalogue(): Promise<Record<string, { code: string; message: string }>>;
  stop(): Promise<void>;
}

export function startServer(options?: { args?: string[]; env?: Record<string, string> }): Promise<RunningServer>;
