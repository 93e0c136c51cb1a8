/** Minimal typings for the two emulators (neither ships its own). Only what lambdas/local uses. */
declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';
  interface S3rverOptions {
    address?: string;
    port?: number;
    directory?: string;
    silent?: boolean;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }
  class S3rver {
    constructor(options?: S3rverOptions);
    httpServer?: Server;
    run(): Promise<AddressInfo>;
    /** Creates the configured buckets (what run() does before listening). */
    configureBuckets(): Promise<void>;
    /** An http.Server answering S3 requests, listening as server.listen(port, address, callback) does. */
    listen(port: number, address: string, callback: () => void): Server;
    close(): Promise<void>;
    on(event: 'event', listener: (event: { Records: any[] }) => void): this;
    off(event: 'event', listener: (event: { Records: any[] }) => void): this;
  }
  export = S3rver;
}

declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
