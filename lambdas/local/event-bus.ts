/**
 * A local EventBridge endpoint for PutEvents: the functions publish with the real EventBridge client (only the endpoint
 * differs, SEGMENTS_EVENTS_ENDPOINT), and this server captures what arrives on the wire, checks each entry as
 * EventBridge does (source, detail-type, detail a JSON object, 10 entries and 256 KB per request) and answers in
 * EventBridge's JSON 1.1 protocol. The local stack and the serve mode show the captured events and append them to a
 * JSON Lines file, the local stand-in for a rule that subscribers would put on the bus.
 *
 * No maintained EventBridge emulator exists on npm (LocalStack is a Docker image), and delivery to targets is not
 * needed locally: what matters is what the stack publishes.
 */
import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One event as EventBridge would deliver it to a rule's target. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  /** The bus the entry was put on (name or ARN as sent). */
  eventBusName: string;
}

export interface LocalEventBus {
  endpoint: string;
  /** Every accepted event, in arrival order. */
  events: BusEvent[];
  /** Every PutEvents request body received (parsed), accepted or not: what the client really sent. */
  requests: unknown[];
  onEvent(listener: (event: BusEvent) => void): () => void;
  stop(): Promise<void>;
}

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

export async function startEventBus(options: { port?: number; account: string; region: string; logFile?: string }): Promise<LocalEventBus> {
  const events: BusEvent[] = [];
  const requests: unknown[] = [];
  const listeners = new Set<(event: BusEvent) => void>();
  let writes = Promise.resolve();

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const error = (res: ServerResponse, status: number, type: string, message: string) => reply(res, status, { __type: type, message });

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') return error(res, 400, 'UnknownOperationException', `the local event bus supports PutEvents only, not ${target || req.method}`);
    if (body.length > MAX_REQUEST_BYTES) return error(res, 400, 'ValidationException', `Total size of the entries in the request is over the limit (${body.length} > ${MAX_REQUEST_BYTES} bytes)`);
    let input: { Entries?: Record<string, unknown>[] };
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return error(res, 400, 'SerializationException', 'the request body is not JSON');
    }
    requests.push(input);
    const entries = input.Entries ?? [];
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) return error(res, 400, 'ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`);
    const results = entries.map((entry) => {
      const missing = ['Source', 'DetailType', 'Detail'].filter((k) => typeof entry[k] !== 'string' || !entry[k]);
      if (missing.length) return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter(s) ${missing.join(', ')} must be specified.` };
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail as string);
      } catch {
        detail = undefined;
      }
      if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType as string,
        source: entry.Source as string,
        account: options.account,
        time: typeof entry.Time === 'string' ? entry.Time : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: options.region,
        resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : [],
        detail: detail as Record<string, unknown>,
        eventBusName: (entry.EventBusName as string) || 'default',
      };
      events.push(event);
      if (options.logFile) {
        const line = JSON.stringify(event) + '\n';
        writes = writes.then(() => appendFile(options.logFile!, line)).catch(() => undefined);
      }
      for (const listener of listeners) listener(event);
      return { EventId: event.id };
    });
    reply(res, 200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    requests,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      await writes;
    },
  };
}
