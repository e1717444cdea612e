import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      serverUrl: 'http://localhost:3000',
      mqttUrl: undefined,
      intervalMs: 5000,
      deviceLimit: undefined,
      seed: 1,
      username: 'admin',
      password: 'admin-demo-2026',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      SERVER_URL: 'http://ioc.local:8080/',
      MQTT_URL: 'mqtt://broker.ioc.local:1883',
      SIM_INTERVAL_MS: '1000',
      SIM_DEVICES: '12',
      SIM_SEED: '99',
      SIM_USERNAME: 'truongca',
      SIM_PASSWORD: 'p4ss',
    });
    expect(config).toEqual({
      serverUrl: 'http://ioc.local:8080',
      mqttUrl: 'mqtt://broker.ioc.local:1883',
      intervalMs: 1000,
      deviceLimit: 12,
      seed: 99,
      username: 'truongca',
      password: 'p4ss',
    });
  });

  it("talks to the server's own PORT when SERVER_URL is unset, as npm run demo starts both with one environment", () => {
    expect(loadConfig({ PORT: '3100' }).serverUrl).toBe('http://localhost:3100');
    expect(loadConfig({ PORT: '3100', SERVER_URL: 'http://ioc.local:8080' }).serverUrl).toBe('http://ioc.local:8080');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ SERVER_URL: '', MQTT_URL: '', SIM_DEVICES: '' })).toEqual(loadConfig({}));
  });

  it.each([
    ['SERVER_URL', 'localhost:3000'],
    ['SERVER_URL', 'ftp://ioc.local'],
    ['MQTT_URL', 'http://broker:1883'],
    ['SIM_INTERVAL_MS', 'often'],
    ['SIM_INTERVAL_MS', '10'],
    ['SIM_INTERVAL_MS', '2.5'],
    ['SIM_DEVICES', '0'],
    ['SIM_SEED', '-1'],
    ['PORT', '0'],
    ['PORT', '70000'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid environment: ${name}: `));
  });
});
