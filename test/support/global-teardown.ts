export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __IOC_TEST_PG__?: { stop(): Promise<void> } }).__IOC_TEST_PG__?.stop();
}
