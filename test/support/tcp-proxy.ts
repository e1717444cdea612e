import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/** A TCP relay the tests can cut, to take a server away (the database) without stopping it. */
export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones. */
  cut(): void;
  /**
   * Keeps every connection open, and takes new ones, but passes no byte either way: what a
   * server stopped with SIGSTOP looks like to its clients.
   */
  stall(): void;
  /** Ends a cut or a stall; what a stall held back is passed on. */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let up = true;
  let stalled = false;
  const open = new Set<Socket>();
  /** Each relayed direction: bytes read from the first socket are written to the second. */
  const links: [Socket, Socket][] = [];
  const server = createServer((client) => {
    if (!up) return client.destroy();
    const target = connect(targetPort, targetHost);
    for (const [a, b] of [
      [client, target],
      [target, client],
    ]) {
      open.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        open.delete(a);
        const link = links.findIndex(([from]) => from === a);
        if (link >= 0) links.splice(link, 1);
        b.destroy();
      });
      links.push([a, b]);
      if (stalled) a.pause();
      else a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      up = false;
      for (const socket of open) socket.destroy();
    },
    stall: () => {
      stalled = true;
      for (const [a, b] of links) {
        a.unpipe(b);
        a.pause();
      }
    },
    restore: () => {
      up = true;
      if (stalled) for (const [a, b] of links) a.pipe(b);
      stalled = false;
    },
    close: async () => {
      up = false;
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
