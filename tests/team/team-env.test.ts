import { describe, expect, it } from 'vitest'
import { readTeamEnv } from '../../src/team/team-env.ts'

const SECRET = 'x'.repeat(32)

describe('reading the team environment', () => {
  it('is SQLite on one instance when nothing is set, with a new instance id at every start', () => {
    const a = readTeamEnv({})
    const b = readTeamEnv({})
    expect(a.ok && a.settings.databaseUrl).toBeUndefined()
    expect(a.ok && a.settings.redisPrefix).toBe('juxta:')
    expect(a.ok && b.ok && a.settings.instanceId !== b.settings.instanceId).toBe(true)
    expect(a.ok && a.settings.instanceId).toMatch(/^[A-Za-z0-9_.-]+-\d+-[0-9a-f]{6}$/)
  })

  it('takes PostgreSQL and Redis URLs with the secret', () => {
    const r = readTeamEnv({
      DATABASE_URL: 'postgres://juxta:pw@db:5432/juxta',
      REDIS_URL: 'redis://cache:6379',
      JUXTA_SECRET: SECRET,
      JUXTA_REDIS_PREFIX: 'team1:',
      JUXTA_INSTANCE_ID: 'web-1',
    })
    expect(r).toEqual({
      ok: true,
      settings: {
        databaseUrl: 'postgres://juxta:pw@db:5432/juxta',
        redisUrl: 'redis://cache:6379',
        redisPrefix: 'team1:',
        instanceId: 'web-1',
      },
    })
  })

  it('refuses DATABASE_URL without JUXTA_SECRET, naming the server but not its password', () => {
    const r = readTeamEnv({ DATABASE_URL: 'postgres://juxta:hunter2@db:5432/juxta' })
    expect(r.ok).toBe(false)
    const message = r.ok ? '' : r.message
    expect(message).toContain('DATABASE_URL (postgres://juxta@db:5432/juxta) needs JUXTA_SECRET')
    expect(message).not.toContain('hunter2')
  })

  it('refuses REDIS_URL without DATABASE_URL, and URLs of the wrong kind', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ REDIS_URL: 'redis://cache:6379' }, 'REDIS_URL is set without DATABASE_URL'],
      [
        { DATABASE_URL: 'mysql://db/x', JUXTA_SECRET: SECRET },
        'DATABASE_URL must start with postgres:// or postgresql://',
      ],
      [{ DATABASE_URL: 'not a url', JUXTA_SECRET: SECRET }, 'DATABASE_URL is not a URL'],
      [
        { DATABASE_URL: 'postgres://db/x', REDIS_URL: 'http://cache', JUXTA_SECRET: SECRET },
        'REDIS_URL must start with redis:// or rediss://',
      ],
      [{ JUXTA_REDIS_PREFIX: 'a b' }, 'JUXTA_REDIS_PREFIX must be'],
      [{ JUXTA_INSTANCE_ID: 'x/y' }, 'JUXTA_INSTANCE_ID must be'],
    ]
    for (const [env, message] of cases) {
      const r = readTeamEnv(env)
      expect(r.ok ? 'started' : r.message).toContain(message)
    }
  })
})
