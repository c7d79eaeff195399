/** A JSON API on 127.0.0.1 (a free port) for source tests: records every request's URL and headers. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is. */
  body: unknown;
}

export interface TestApi {
  /** Base address, e.g. http://127.0.0.1:40123 */
  url: string;
  requests: { url: URL; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startApi(answer: (url: URL, n: number) => Answer): Promise<TestApi> {
  const requests: TestApi['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ url, headers: req.headers });
    const a = answer(url, requests.length);
    const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    res.writeHead(a.status ?? 200, { 'content-type': typeof a.body === 'string' ? 'text/html' : 'application/json', ...a.headers });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
