import { createContext, useContext } from 'hono/jsx'

/** True while rendering for a browser with a live login session: the page header then offers "Log out". */
export const LoggedInSession = createContext(false)

/** A plain form POST (same-origin, so the CSRF check passes); nothing without a session. */
export function LogoutControl() {
  return useContext(LoggedInSession) ? (
    <form method="post" action="/logout" class="logout">
      <button type="submit">Log out</button>
    </form>
  ) : (
    ''
  )
}
