import { loadConfig } from '@ioc/config';
import { autoPartitionIntervalMs, storageSettings } from './storage-settings';

const HOUR = 3_600_000;

describe('autoPartitionIntervalMs', () => {
  it.each([
    // samples/s, memory MB, hours: a quarter of memory holds two partitions of ~100 bytes a sample.
    [50, 4096, 24], // 1 GiB / (200 B × 50/s) = 29.8 h
    [100, 4096, 12], // 14.9 h
    [167, 4096, 8], // a province: 10,000 series a minute, 8.9 h
    [1000, 4096, 1], // 1.5 h
    [10, 4096, 144], // 6.2 days
    [1, 4096, 168], // at most a week
    [100_000, 4096, 1], // at least an hour
    [100, 16_384, 48], // more memory, longer partitions: 59.7 h
    [100, 1024, 3], // 3.7 h
  ])('%d samples/s with %d MB: %d h', (rate, memory, hours) => {
    expect(autoPartitionIntervalMs(rate, memory)).toBe(hours * HOUR);
  });

  it('picks spans that tile a day, so partitions start on the same hours every day', () => {
    for (let rate = 1; rate < 5000; rate *= 1.3) {
      const hours = autoPartitionIntervalMs(rate, 4096) / HOUR;
      expect(hours <= 24 ? 24 % hours : hours % 24).toBe(0);
    }
  });
});

describe('storageSettings', () => {
  it('sizes the partitions from the expected rate by default', () => {
    expect(storageSettings(loadConfig({})).partitionIntervalMs).toBe(24 * HOUR);
    expect(storageSettings(loadConfig({ STORAGE_SAMPLES_PER_S: '1000' })).partitionIntervalMs).toBe(HOUR);
    expect(storageSettings(loadConfig({ STORAGE_SAMPLES_PER_S: '100', STORAGE_DATABASE_MEMORY_MB: '1024' })).partitionIntervalMs).toBe(3 * HOUR);
  });

  it('takes an explicit interval over the rate', () => {
    expect(storageSettings(loadConfig({ STORAGE_PARTITION_INTERVAL: '12h', STORAGE_SAMPLES_PER_S: '1000' })).partitionIntervalMs).toBe(12 * HOUR);
    expect(storageSettings(loadConfig({ STORAGE_PARTITION_INTERVAL: '2d' })).partitionIntervalMs).toBe(48 * HOUR);
  });

  it.each([
    ['STORAGE_PARTITION_INTERVAL', 'often', /STORAGE_PARTITION_INTERVAL="often": must be auto, or hours or days/],
    ['STORAGE_SAMPLES_PER_S', '0', /STORAGE_SAMPLES_PER_S="0"/],
    ['STORAGE_SAMPLES_PER_S', 'many', /STORAGE_SAMPLES_PER_S="many": must be a number of samples per second/],
    ['STORAGE_DATABASE_MEMORY_MB', '-5', /STORAGE_DATABASE_MEMORY_MB="-5"/],
  ])('refuses %s=%s naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
