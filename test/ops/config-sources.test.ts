// The start configuration from file, environment and flags: precedence,
// types, and errors that name the field and its source.
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/config.js'
import { resolveSources, type FileSource } from '../../src/config/sources.js'

const file = (data: unknown, path = '/etc/troupe/troupe.json'): FileSource => ({ path, data })

describe('resolveSources', () => {
  it('nothing given: only the app folder is set, resolveConfig supplies the rest', () => {
    const config = resolveSources(undefined, {}, {})
    expect(config).toEqual({
      app: 'actors', http: { port: undefined, host: undefined }, listen: undefined, announce: undefined, seeds: undefined,
      dataDir: undefined, logLevel: undefined, stopTimeoutMs: undefined, membership: {}, tasks: {},
    })
    const resolved = resolveConfig(config)
    expect(resolved.http).toEqual({ port: 8080, host: '127.0.0.1' })
    expect(resolved.listen).toEqual(['/ip4/127.0.0.1/tcp/9080'])
    expect(resolved.dataDir).toBe('.troupe/peer-8080')
  })

  it('flags win over the environment, which wins over the file', () => {
    const fromFile = file({ port: 7000, host: '0.0.0.0', seeds: ['/ip4/10.0.0.1/tcp/9080'], logLevel: 'debug', deadAfterMs: 9000, suspectAfterMs: 4000 })
    const env = { TROUPE_PORT: '7001', TROUPE_SEEDS: '/ip4/10.0.0.2/tcp/9080, /ip4/10.0.0.3/tcp/9080', TROUPE_DEAD_AFTER_MS: '10000' }
    const config = resolveSources(fromFile, env, { port: '7002', 'dead-after-ms': '11000' })
    expect(config.http).toEqual({ port: 7002, host: '0.0.0.0' })
    expect(config.seeds).toEqual(['/ip4/10.0.0.2/tcp/9080', '/ip4/10.0.0.3/tcp/9080'])
    expect(config.logLevel).toBe('debug')
    expect(config.membership).toEqual({ suspectAfterMs: 4000, deadAfterMs: 11000 })
    expect(resolveSources(fromFile, env, { seed: ['/ip4/10.0.0.4/tcp/9080'] }).seeds).toEqual(['/ip4/10.0.0.4/tcp/9080'])
  })

  it('reads every documented variable', () => {
    const config = resolveSources(undefined, {
      TROUPE_PORT: '0', TROUPE_HOST: '::1', TROUPE_LISTEN: '/ip4/127.0.0.1/tcp/1,/ip4/127.0.0.1/tcp/2', TROUPE_SEEDS: '/ip4/127.0.0.1/tcp/3',
      TROUPE_DATA: 'd', TROUPE_APP: 'a', TROUPE_LOG_LEVEL: 'warn', TROUPE_DEAD_AFTER_MS: '9000', TROUPE_SUSPECT_AFTER_MS: '4000',
      TROUPE_ANNOUNCE: '/ip4/1.2.3.4/tcp/9', TROUPE_STOP_TIMEOUT_MS: '500', TROUPE_STORE_COMMIT: 'background', TROUPE_TASK_CONCURRENCY: '8',
    }, {})
    expect(config).toEqual({
      app: 'a', http: { port: 0, host: '::1' }, listen: ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], announce: ['/ip4/1.2.3.4/tcp/9'],
      seeds: ['/ip4/127.0.0.1/tcp/3'], dataDir: 'd', logLevel: 'warn', stopTimeoutMs: 500, membership: { deadAfterMs: 9000, suspectAfterMs: 4000 },
      tasks: { storeCommit: 'background', concurrency: 8 },
    })
    // The same settings from the file and the command line.
    expect(resolveSources(file({ storeCommit: 'inline', taskConcurrency: 2 }), {}, {}).tasks).toEqual({ storeCommit: 'inline', concurrency: 2 })
    expect(resolveSources(undefined, {}, { 'store-commit': 'background', 'task-concurrency': '50' }).tasks).toEqual({ storeCommit: 'background', concurrency: 50 })
  })

  it('an empty variable counts as unset', () => {
    expect(resolveSources(file({ port: 7000 }), { TROUPE_PORT: '' }, {}).http).toEqual({ port: 7000, host: undefined })
  })

  it('paths in the file are relative to the file; from flags and env, to the working folder', () => {
    const f = file({ app: './my-app', data: 'state' }, '/srv/cluster/troupe.json')
    expect(resolveSources(f, {}, {})).toMatchObject({ app: '/srv/cluster/my-app', dataDir: '/srv/cluster/state' })
    expect(resolveSources(f, { TROUPE_DATA: 'here' }, { app: 'there' })).toMatchObject({ app: 'there', dataDir: 'here' })
    expect(resolveSources(file({ app: 'x' }, 'troupe.json'), {}, {}).app).toBe(resolve('x'))
  })

  describe('errors name the field and its source', () => {
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['env port', () => resolveSources(undefined, { TROUPE_PORT: 'eighty' }, {}), /^TROUPE_PORT: must be a port number \(0-65535\), got "eighty"$/],
      ['flag port', () => resolveSources(undefined, {}, { port: '70000' }), /^--port must be a port number/],
      ['file port', () => resolveSources(file({ port: '8080' }), {}, {}), /^\/etc\/troupe\/troupe\.json: port: must be a port number .*got "8080"$/],
      ['env ms', () => resolveSources(undefined, { TROUPE_DEAD_AFTER_MS: '1.5' }, {}), /^TROUPE_DEAD_AFTER_MS: must be a whole number of milliseconds/],
      ['flag ms', () => resolveSources(undefined, {}, { 'suspect-after-ms': '-1' }), /^--suspect-after-ms must be a whole number/],
      ['env level', () => resolveSources(undefined, { TROUPE_LOG_LEVEL: 'loud' }, {}), /^TROUPE_LOG_LEVEL: must be one of debug, info, warn, error, silent, got "loud"$/],
      ['file list', () => resolveSources(file({ seeds: '/ip4/1.2.3.4/tcp/1' }), {}, {}), /troupe\.json: seeds: must be a list of strings/],
      ['file host', () => resolveSources(file({ host: 42 }), {}, {}), /troupe\.json: host: must be a non-empty string, got 42$/],
      ['env store commit', () => resolveSources(undefined, { TROUPE_STORE_COMMIT: 'async' }, {}), /^TROUPE_STORE_COMMIT: must be one of auto, inline, background, got "async"$/],
      ['flag task concurrency', () => resolveSources(undefined, {}, { 'task-concurrency': '0' }), /^--task-concurrency must be a whole number, 1 or more, got "0"$/],
      ['file task concurrency', () => resolveSources(file({ taskConcurrency: 2.5 }), {}, {}), /troupe\.json: taskConcurrency: must be a whole number, 1 or more, got 2\.5$/],
      ['unknown key', () => resolveSources(file({ port: 1, prot: 2 }), {}, {}), /^\/etc\/troupe\/troupe\.json: unknown key "prot" \(known: port, host/],
      ['not an object', () => resolveSources(file([1]), {}, {}), /troupe\.json: must hold a JSON object$/],
    ]
    for (const [name, run, pattern] of cases) {
      it(name, () => {
        expect(run).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(pattern) as unknown }))
      })
    }

    it('a bad value in a lower source is ignored when a higher one overrides it', () => {
      expect(resolveSources(file({ port: 'x' }), { TROUPE_PORT: 'y' }, { port: '1' }).http).toEqual({ port: 1, host: undefined })
    })
  })
})
