import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, fastifyTrustProxy, loadConfig } from '../../server/config.js';

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
    expect(() => loadConfig({ OPEN_DOCUMENTS: 'maybe' })).toThrow(/OPEN_DOCUMENTS .*"maybe"/);
  });

  it('opens documents on connection only when OPEN_DOCUMENTS says so', () => {
    expect(loadConfig({}).openDocuments).toBe(false);
    for (const yes of ['true', 'TRUE', '1', 'yes']) expect(loadConfig({ OPEN_DOCUMENTS: yes }).openDocuments).toBe(true);
    for (const no of ['false', '0', 'no', '']) expect(loadConfig({ OPEN_DOCUMENTS: no }).openDocuments).toBe(false);
  });
  it('reads the cluster settings, and never echoes a password in an error', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:secret@db/tandem', REDIS_URL: 'redis://cache:6379', ALLOWED_ORIGINS: 'https://a.example, http://b.example:8080' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u:secret@db/tandem', redisUrl: 'redis://cache:6379' });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:secret@db' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:secret@db' })).not.toThrow(/secret/);
    expect(() => loadConfig({ REDIS_URL: 'http://cache' })).toThrow(/REDIS_URL/);
  });
  it('reads TRUST_PROXY as no proxy, a hop count (true: one) or a list of proxy addresses; never "trust every hop"', () => {
    const trust = (value?: string) => loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy;
    for (const off of [undefined, '', 'false', 'FALSE', '0', ' 0 ', '00']) expect(trust(off)).toBe(false);
    expect(trust('true')).toBe(1);
    expect(trust('True')).toBe(1);
    expect(trust('1')).toBe(1);
    expect(trust('2')).toBe(2);
    expect(trust('127.0.0.1')).toEqual(['127.0.0.1']);
    expect(trust(' 10.0.0.0/8, ::1 ,fd00::/8,loopback')).toEqual(['10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
    for (const bad of ['yes', '-1', '21', '10.0.0', '10.0.0.0/33', '10.0.0.0/0', '10.0.0.0/8/1', 'fd00::/129', '10.0.0.1,,10.0.0.2', 'proxy.example.com']) {
      expect(() => trust(bad), bad).toThrow(/TRUST_PROXY/);
    }
  });
  it('reads ALLOWED_HOSTS (host names, or * for no check) and METRICS_TOKEN (16+ visible characters), never echoing the token', () => {
    expect(loadConfig({}).allowedHosts).toEqual([]);
    expect(loadConfig({ ALLOWED_HOSTS: ' Docs.Example.com, mybox.local. ,intranet' }).allowedHosts).toEqual(['docs.example.com', 'mybox.local', 'intranet']);
    expect(loadConfig({ ALLOWED_HOSTS: '*' }).allowedHosts).toBe('*');
    for (const bad of ['https://docs.example.com', 'docs.example.com:443', 'a b', 'docs.example.com/x', 'a,,b', '*.example.com']) {
      expect(() => loadConfig({ ALLOWED_HOSTS: bad }), bad).toThrow(/ALLOWED_HOSTS/);
    }
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ METRICS_TOKEN: ' 0123456789abcdef0123 ' }).metricsToken).toBe('0123456789abcdef0123');
    expect(() => loadConfig({ METRICS_TOKEN: 'short-secret' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
    expect(() => loadConfig({ METRICS_TOKEN: 'has a space in the middle' })).toThrow(/METRICS_TOKEN/);
  });
  it('hands Fastify a hop count as a function that trusts exactly that many hops, whatever their address', () => {
    expect(fastifyTrustProxy(false)).toBe(false);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
    const oneHop = fastifyTrustProxy(1);
    if (typeof oneHop !== 'function') throw new Error('expected a function');
    expect([oneHop('203.0.113.5', 0), oneHop('203.0.113.5', 1)]).toEqual([true, false]);
  });
});
