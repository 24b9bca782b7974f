import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { Redis } from 'ioredis'
import { type PgServer, startPostgres } from '../helpers/pg-server.ts'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'

describe('the test servers (Debian PostgreSQL and Redis on loopback)', () => {
  let pgServer: PgServer
  let redis: RedisServer
  beforeAll(async () => {
    ;[pgServer, redis] = await Promise.all([startPostgres(), startRedis()])
  })
  afterAll(async () => {
    await Promise.all([pgServer?.stop(), redis?.stop()])
  })

  it('gives each test a database of its own, and comes back after a kill', async () => {
    const url = await pgServer.createDatabase()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query('CREATE TABLE t (n int)')
    await client.query('INSERT INTO t VALUES (7)')
    await client.end()
    await pgServer.kill()
    await pgServer.start()
    const again = new pg.Client({ connectionString: url })
    await again.connect()
    expect((await again.query('SELECT n FROM t')).rows).toEqual([{ n: 7 }])
    expect((await again.query(`SELECT 1 AS ok FROM pg_available_extensions WHERE name = 'pg_trgm'`)).rowCount).toBe(1)
    await again.end()
  })

  it('runs Redis streams', async () => {
    const client = new Redis(redis.url)
    await client.xadd('s', '*', 'k', 'v')
    const entries = await client.xrange('s', '-', '+')
    expect(entries.map(([, fields]) => fields)).toEqual([['k', 'v']])
    client.disconnect()
  })
})
