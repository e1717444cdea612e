import { createServer, type AddressInfo } from 'node:net';
import Aedes from 'aedes';

/**
 * A bare aedes broker (no authentication, no hooks) for the broker ceiling; run as its own process
 * so its CPU is counted apart. Prints the port it listens on.
 */
const broker = new Aedes();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
const stop = () => server.close(() => broker.close(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
