import { ConfigError, loadConfig } from './config.schema';

describe('loadConfig', () => {
  it('gives every setting a default', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.MQTT_PORT).toBe(1883);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.IOC_ROLES).toEqual(['ingest', 'api', 'realtime']);
  });

  it('reads numbers, URLs and role lists from text', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      MQTT_URL: 'mqtt://127.0.0.1:1883',
      IOC_ROLES: 'ingest, api',
    });
    expect(config.PORT).toBe(8080);
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(config.IOC_ROLES).toEqual(['ingest', 'api']);
  });

  it.each([
    ['PORT', 'eighty', /PORT="eighty": must be a port number/],
    ['PORT', '70000', /PORT="70000": must be between 0 and 65535/],
    ['MQTT_PORT', '1883.5', /MQTT_PORT="1883.5": must be a whole number/],
    ['DATABASE_URL', 'localhost:5432', /DATABASE_URL="localhost:5432": must be a URL like postgres:/],
    ['DATABASE_URL', 'http://db:5432/x', /DATABASE_URL="http:\/\/db:5432\/x": must be a URL like postgres:/],
    ['MQTT_URL', 'not a url', /MQTT_URL="not a url": must be a URL like mqtt:/],
    ['IOC_ROLES', 'ingest,billing', /IOC_ROLES="ingest,billing"/],
  ])('stops on %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('refuses demo users in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', IOC_DEMO_USERS: 'true' })).toThrow(
      /IOC_DEMO_USERS="true": demo users have published passwords: refused in production/,
    );
  });

  it('wants the first administrator\'s name and password together', () => {
    expect(() => loadConfig({ IOC_ADMIN_USERNAME: 'quantri' })).toThrow(/IOC_ADMIN_PASSWORD="": set IOC_ADMIN_USERNAME and IOC_ADMIN_PASSWORD together/);
  });

  it('sends email only with an SMTP server and a sender', () => {
    expect(loadConfig({}).SMTP_URL).toBeUndefined();
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail.example.vn:587' })).toThrow(/SMTP_FROM="": set the sender of incident emails with SMTP_URL/);
    expect(() => loadConfig({ SMTP_URL: 'https://mail.example.vn', SMTP_FROM: 'ioc@example.vn' })).toThrow(/SMTP_URL=.*must be a URL like smtp:/);
    const config = loadConfig({ SMTP_URL: 'smtps://ioc:p%40ss@mail.example.vn:465', SMTP_FROM: 'IOC <ioc@example.vn>' });
    expect(config).toMatchObject({ SMTP_URL: 'smtps://ioc:p%40ss@mail.example.vn:465', CONSOLE_URL: 'http://localhost:3000' });
  });

  it.each([
    ['JWT_SECRET', 'short', /JWT_SECRET="short": must be at least 32 characters/],
    ['CORS_ORIGINS', 'ioc.example.vn', /CORS_ORIGINS="ioc.example.vn": must be a comma-separated list of origins/],
    ['CONSOLE_TILE_URL', 'tiles/{z}/{x}/{y}.png', /CONSOLE_TILE_URL=.*must be a tile URL template/],
    ['TRUST_PROXY', 'everyone', /TRUST_PROXY="everyone": must be a number of hops or a comma-separated list/],
    ['TRUST_PROXY', '10.0.0.0/33', /TRUST_PROXY="10.0.0.0\/33": must be a number of hops/],
  ])('checks %s', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reads which proxies to trust: none by default, hops, or addresses, subnets and names', () => {
    expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', 'fd00::1']);
  });

  it('names every wrong variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', MQTT_WS_PORT: '-1' })).toThrow(/PORT="x"[\s\S]*MQTT_WS_PORT="-1"/);
  });
});
