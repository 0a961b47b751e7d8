import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../../server/config.js';

describe('config', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({}, '/srv/web');
    expect(config).toEqual({ ...defaultConfig, dataDir: path.resolve('data'), webRoot: '/srv/web' });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
  });
  it('reads the environment', () => {
    const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', DATA_DIR: '/tmp/x', SQLITE_SYNCHRONOUS: 'FULL', WEB_ROOT: '' });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', dataDir: '/tmp/x', sqliteSynchronous: 'full', webRoot: null });
  });
  it('fails fast on a bad value, naming the variable and the value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT .*"eighty"/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ COMPACT_AFTER_UPDATES: '0' })).toThrow(/COMPACT_AFTER_UPDATES/);
  });
});
