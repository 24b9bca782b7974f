import { afterEach, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from '../../src/project-root.ts'
import { readAccessEnv } from '../../src/security/access-env.ts'
import { rawRequest } from './http.ts'
import { LoginClient, sessionCookie } from './login-client.ts'

const TOKEN = `${'f'.repeat(16)}0123456789abcdef-startup`
const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

interface Started {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

/** Runs the real entry point, as `npm run dev` would, with only the given environment. */
function startServer(env: Record<string, string>): Started {
  const dir = mkdtempSync(join(tmpdir(), 'juxta-start-'))
  dirs.push(dir)
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: '0', JUXTA_DATA_DIR: join(dir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, stdout: () => out, stderr: () => err, exited }
}

async function listeningPort(s: Started): Promise<number> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const m = /listening on http:\/\/[^\s]*:(\d+)/.exec(s.stdout())
    if (m) return Number(m[1])
    if (s.child.exitCode !== null) throw new Error(`server exited: ${s.stderr()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`server did not start: ${s.stdout()} ${s.stderr()}`)
}

describe('starting Juxta', () => {
  it('refuses HOST=0.0.0.0 without JUXTA_AUTH_TOKEN, saying why and what to do', async () => {
    const s = startServer({ HOST: '0.0.0.0' })
    expect(await s.exited).toBe(1)
    expect(s.stderr()).toMatch(/Refusing to start: HOST=0\.0\.0\.0/)
    expect(s.stderr()).toMatch(/JUXTA_AUTH_TOKEN/)
    expect(s.stdout()).not.toMatch(/listening/)
  })

  it('refuses a token shorter than 32 characters', async () => {
    const s = startServer({ HOST: '0.0.0.0', JUXTA_AUTH_TOKEN: 'short-token' })
    expect(await s.exited).toBe(1)
    expect(s.stderr()).toMatch(/at least 32 characters/)
    expect(s.stderr()).not.toContain('short-token')
  })

  it('with a token on 0.0.0.0, answers 401 without it and 200 with it', async () => {
    const s = startServer({ HOST: '0.0.0.0', JUXTA_AUTH_TOKEN: TOKEN })
    const port = await listeningPort(s)
    const url = `http://127.0.0.1:${port}`
    const host = `127.0.0.1:${port}`
    expect((await rawRequest(`${url}/`, { headers: { host, accept: 'text/html' } })).status).toBe(401)
    expect((await rawRequest(`${url}/api/targets`, { headers: { host } })).status).toBe(401)
    expect(
      (await rawRequest(`${url}/api/targets`, { headers: { host, authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200)
    expect(s.stdout() + s.stderr()).not.toContain(TOKEN)
  })

  it('keeps login sessions in its database across a restart, and logout ends them for good', async () => {
    const data = mkdtempSync(join(tmpdir(), 'juxta-start-data-'))
    dirs.push(data)
    const env = { JUXTA_AUTH_TOKEN: TOKEN, JUXTA_DATA_DIR: data }
    const first = startServer(env)
    const before = new LoginClient(`http://127.0.0.1:${await listeningPort(first)}`)
    const cookie = sessionCookie(await before.login(TOKEN))
    expect((await before.get('/settings', { cookie })).status).toBe(200)
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)

    const second = startServer(env)
    const after = new LoginClient(`http://127.0.0.1:${await listeningPort(second)}`)
    expect((await after.get('/settings', { cookie })).status).toBe(200)
    await after.logout(cookie)
    expect((await after.get('/settings', { cookie })).status).toBe(401)
    const output = first.stdout() + first.stderr() + second.stdout() + second.stderr()
    expect(output).toMatch(/session started for 127\.0\.0\.1/)
    expect(output).not.toContain(TOKEN)
    expect(output).not.toContain(cookie.split('=')[1])
  })

  it('binds 127.0.0.1 by default', async () => {
    const s = startServer({})
    await listeningPort(s)
    expect(s.stdout()).toMatch(/listening on http:\/\/127\.0\.0\.1:/)
  })
})

describe('readAccessEnv', () => {
  it('accepts loopback without a token, in every spelling', () => {
    for (const HOST of [undefined, '127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) {
      const r = readAccessEnv({ HOST })
      expect(r.ok, String(HOST)).toBe(true)
    }
  })

  it('requires a token for any other address', () => {
    for (const HOST of ['0.0.0.0', '::', '192.168.1.5', 'juxta.lan']) {
      const r = readAccessEnv({ HOST })
      expect(r.ok, HOST).toBe(false)
      expect(readAccessEnv({ HOST, JUXTA_AUTH_TOKEN: TOKEN }).ok).toBe(true)
    }
  })

  it('allows the configured host name in Host headers, plus JUXTA_ALLOWED_HOSTS', () => {
    const r = readAccessEnv({
      HOST: 'juxta.lan',
      JUXTA_AUTH_TOKEN: TOKEN,
      JUXTA_ALLOWED_HOSTS: 'juxta.example.com, Other.Example',
    })
    expect(r.ok && r.settings.access.allowedHosts).toEqual(['juxta.example.com', 'other.example', 'juxta.lan'])
  })

  it('refuses a short JUXTA_SECRET', () => {
    const r = readAccessEnv({ JUXTA_SECRET: 'short' })
    expect(r.ok).toBe(false)
    expect(!r.ok && r.message).toMatch(/JUXTA_SECRET must be at least 16/)
  })
})
