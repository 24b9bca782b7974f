import { Layout } from './layout.tsx'

/** Shown instead of any page while JUXTA_AUTH_TOKEN is set and the browser has not logged in. */
export function LoginPage(props: { next: string; failed?: boolean; retryAfterS?: number }) {
  return (
    <Layout title="Log in">
      <h1 class="page-title">Log in</h1>
      <form class="card login-form" method="post" action="/login">
        <p>
          This Juxta is protected by an access token (<code>JUXTA_AUTH_TOKEN</code>).
        </p>
        {props.failed ? (
          <p class="form-errors" role="alert">
            That token is not right.
          </p>
        ) : (
          ''
        )}
        {props.retryAfterS !== undefined ? (
          <p class="form-errors" role="alert">
            Too many wrong tokens from your address. Try again in {props.retryAfterS} s.
          </p>
        ) : (
          ''
        )}
        <label for="token">Access token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <input type="hidden" name="next" value={props.next} />
        <button type="submit" class="primary">
          Log in
        </button>
      </form>
    </Layout>
  )
}
