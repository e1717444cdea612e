import type { MqttClient } from 'mqtt';
import { topics, type CommandDto, type CommandPayload, type ProvisionedDeviceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectConsole, connectDevice, eventually, nextEvent, type ConsoleSocket } from '../support/clients';

jest.setTimeout(60_000);

describe('commands down to a public-address speaker, acknowledged up', () => {
  let server: TestServer;
  let operator: string;
  let speaker: MqttClient;
  let consoleSocket: ConsoleSocket;
  const received: CommandPayload[] = [];
  const send = (body: unknown, token = operator) => api<CommandDto>(server.baseUrl, 'POST', '/api/devices/gcd-loa-01/commands', body, token);

  beforeAll(async () => {
    server = await startTestServer();
    const admin = (await server.session('admin')).accessToken;
    operator = (await server.session('operator')).accessToken;
    const created = await api<ProvisionedDeviceDto>(server.baseUrl, 'POST', '/api/devices', { id: 'gcd-loa-01', kind: 'pa_speaker', name: 'Loa truyền thanh xã Tân Thành', lat: 10.29, lng: 106.76 }, admin);
    speaker = await connectDevice(server.mqttUrl, 'gcd-loa-01', { username: 'gcd-loa-01', password: created.body.credentials.password });
    speaker.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as CommandPayload));
    await speaker.subscribeAsync(topics.command('gcd-loa-01'), { qos: 1 });
    consoleSocket = await connectConsole(server.baseUrl, operator);
  });
  afterAll(async () => {
    consoleSocket?.close();
    await speaker?.endAsync();
    await server?.close();
  });

  it('delivers a command and records the acknowledgement', async () => {
    const sent = await send({ name: 'play_announcement', params: { bulletinId: 'bt-2026-112', volume: 80 } });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ state: 'pending', requestedBy: 'canbotruc', name: 'play_announcement' });
    const delivered = await eventually(async () => received.find((c) => c.id === sent.body.id));
    expect(delivered).toMatchObject({ name: 'play_announcement', params: { bulletinId: 'bt-2026-112', volume: 80 } });
    const done = nextEvent(consoleSocket, 'command:updated', (c) => c.id === sent.body.id && c.state === 'succeeded');
    await speaker.publishAsync(topics.commandAck('gcd-loa-01'), JSON.stringify({ id: delivered.id, status: 'ok', message: 'đang phát' }), { qos: 1 });
    expect((await done)[0]).toMatchObject({ message: 'đang phát', answeredAt: expect.any(String) });
  });

  it('records a refusal by the device as failed', async () => {
    const sent = await send({ name: 'set_volume', params: { volume: 150 } });
    const delivered = await eventually(async () => received.find((c) => c.id === sent.body.id));
    const failed = nextEvent(consoleSocket, 'command:updated', (c) => c.id === sent.body.id && c.state === 'failed');
    await speaker.publishAsync(topics.commandAck('gcd-loa-01'), JSON.stringify({ id: delivered.id, status: 'error', message: 'volume out of range' }), { qos: 1 });
    expect((await failed)[0].message).toBe('volume out of range');
  });

  it('reports a command without acknowledgement as timed out', async () => {
    const sent = await send({ name: 'stop', timeoutS: 1 });
    const timedOut = await nextEvent(consoleSocket, 'command:updated', (c) => c.id === sent.body.id && c.state === 'timed_out', 5000);
    expect(timedOut[0].message).toBe('no acknowledgement in time');
    // A late acknowledgement changes nothing.
    await speaker.publishAsync(topics.commandAck('gcd-loa-01'), JSON.stringify({ id: sent.body.id, status: 'ok' }), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    const { body: history } = await api<CommandDto[]>(server.baseUrl, 'GET', '/api/devices/gcd-loa-01/commands', undefined, operator);
    expect(history.find((c) => c.id === sent.body.id)?.state).toBe('timed_out');
    expect(history.map((c) => c.state).sort()).toEqual(['failed', 'succeeded', 'timed_out']);
  });

  it('lets a viewer look but not command, and refuses bad commands', async () => {
    const viewer = (await server.session('viewer')).accessToken;
    expect((await send({ name: 'stop' }, viewer)).status).toBe(403);
    expect((await api(server.baseUrl, 'GET', '/api/devices/gcd-loa-01/commands', undefined, viewer)).status).toBe(200);
    const bad = await send({ name: 'Stop Now', timeoutS: 0 });
    expect(bad.status).toBe(400);
    const missing = await api<{ message: string }>(server.baseUrl, 'POST', '/api/devices/nobody/commands', { name: 'stop' }, operator);
    expect(missing).toMatchObject({ status: 404, body: { message: 'device nobody does not exist' } });
  });
});
