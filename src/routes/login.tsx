import { Hono, type Context } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { AUTH_COOKIE, sameSecret, sessionValue } from '../security/auth.ts'
import { LoginPage } from '../../views/login-page.tsx'

const SESSION_DAYS = 30

/** Only a path on this server: `/x`, never `//evil` or `https://evil` (no open redirect after login). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) && !/[\r\n]/.test(next) ? next : '/'
}

/** The 401 page a browser gets for any page while not logged in. */
export function loginPageResponse(c: Context): Response | Promise<Response> {
  const url = new URL(c.req.url)
  return c.html(<LoginPage next={safeNext(url.pathname + url.search)} />, 401)
}

/** Login and logout for token-protected servers; without a token both just lead home. */
export function loginRoutes(token: string | undefined): Hono {
  const app = new Hono()
  app.use('*', async (c, next) => {
    await next()
    c.header('Cache-Control', 'no-store')
  })

  app.get('/login', (c) => (token ? c.html(<LoginPage next={safeNext(c.req.query('next'))} />) : c.redirect('/', 303)))

  app.post('/login', async (c) => {
    if (!token) return c.redirect('/', 303)
    const form = await c.req.parseBody()
    const given = typeof form.token === 'string' ? form.token.trim() : ''
    const next = safeNext(form.next)
    if (!given || !sameSecret(given, token)) return c.html(<LoginPage next={next} failed />, 401)
    setCookie(c, AUTH_COOKIE, sessionValue(token), {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: new URL(c.req.url).protocol === 'https:',
      maxAge: SESSION_DAYS * 24 * 3600,
    })
    return c.redirect(next, 303)
  })

  app.post('/logout', (c) => {
    deleteCookie(c, AUTH_COOKIE, { path: '/' })
    return c.redirect(token ? '/login' : '/', 303)
  })
  return app
}
