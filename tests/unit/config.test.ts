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
    expect(() => loadConfig({ ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(/ALLOWED_ORIGINS/);
  });
  it('reads the cluster settings, and never echoes a password in an error', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:secret@db/tandem', REDIS_URL: 'redis://cache:6379', ALLOWED_ORIGINS: 'https://a.example, http://b.example:8080' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u:secret@db/tandem', redisUrl: 'redis://cache:6379' });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:secret@db' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:secret@db' })).not.toThrow(/secret/);
    expect(() => loadConfig({ REDIS_URL: 'http://cache' })).toThrow(/REDIS_URL/);
  });
});
