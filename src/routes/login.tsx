import { Hono, type Context } from 'hono'
import { isValidElement } from 'hono/jsx'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { AUTH_COOKIE, type Auth, sessionsUnavailable } from '../security/auth.ts'
import { safeNext } from '../security/safe-redirect.ts'
import { LoginPage } from '../../views/login-page.tsx'
import { LoggedInSession } from '../../views/logout-control.tsx'

const originOf = (c: Context) => new URL(c.req.url).origin

/** The 401 page a browser gets for any page while not logged in. */
export function loginPageResponse(c: Context): Response | Promise<Response> {
  const url = new URL(c.req.url)
  return c.html(<LoginPage next={safeNext(url.pathname + url.search, url.origin)} />, 401)
}

/**
 * For a request with a live session: every page rendered for it gets "Log out" in its header. Pages render
 * through `c.html`, so the session is handed to the layout as JSX context there instead of through every
 * page's props.
 */
export function offerLogout(c: Context): void {
  const html = c.html as (body: unknown, ...rest: unknown[]) => Response | Promise<Response>
  const withSession = (body: unknown) =>
    isValidElement(body) ? <LoggedInSession.Provider value={true}>{body}</LoggedInSession.Provider> : body
  c.html = ((body: unknown, ...rest: unknown[]) => html(withSession(body), ...rest)) as Context['html']
}

/**
 * Login and logout for token-protected servers; without a token both just lead home.
 *
 * The cookie is SameSite=Strict: the login form posts to this origin and redirects within it, so Strict
 * costs nothing there; a link from another site lands on the login page instead of a logged-in page.
 */
export function loginRoutes(auth: Auth): Hono {
  const app = new Hono()

  app.get('/login', (c) =>
    auth.token ? c.html(<LoginPage next={safeNext(c.req.query('next'), originOf(c))} />) : c.redirect('/', 303),
  )

  app.post('/login', async (c) => {
    if (!auth.sessions) return c.redirect('/', 303)
    const form = await c.req.parseBody()
    const given = typeof form.token === 'string' ? form.token.trim() : ''
    const next = safeNext(form.next, originOf(c))
    if (!given) return c.html(<LoginPage next={next} failed />, 401)
    const client = auth.client(c)
    const attempt = await auth.tryToken(client, given, 'login form')
    if (attempt.outcome === 'throttled') {
      c.header('Retry-After', String(attempt.retryAfterS))
      return c.html(<LoginPage next={next} retryAfterS={attempt.retryAfterS} />, 429)
    }
    if (attempt.outcome === 'wrong') return c.html(<LoginPage next={next} failed />, 401)
    let session: string
    try {
      session = await auth.sessions.start()
    } catch {
      return sessionsUnavailable(c)
    }
    setCookie(c, AUTH_COOKIE, session, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: client.https,
      maxAge: auth.sessions.cookieMaxAgeS,
    })
    auth.options.log(`auth: session started for ${client.address}`)
    return c.redirect(next, 303)
  })

  app.post('/logout', async (c) => {
    const client = auth.client(c)
    let ended: boolean | undefined
    try {
      ended = await auth.sessions?.end(getCookie(c, AUTH_COOKIE))
    } catch {
      return sessionsUnavailable(c) // the cookie stays: the session still exists on the server
    }
    if (ended) auth.options.log(`auth: session ended for ${client.address}`)
    deleteCookie(c, AUTH_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: client.https })
    return c.redirect(auth.token ? '/login' : '/', 303)
  })
  return app
}
