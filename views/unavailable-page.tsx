import { Layout } from './layout.tsx'

/** A page that needs the database while it is away: what happened, and that nothing already sent is lost. */
export function UnavailablePage() {
  return (
    <Layout title="Database unavailable">
      <h1>Database unavailable</h1>
      <div class="card" role="alert">
        <p>
          Juxta cannot reach its database right now, so this page cannot be shown. It reconnects on its own: try again
          in a few seconds.
        </p>
        <p>
          Runs you start meanwhile still stream, and their records are written once the database is back.{' '}
          <a href="/">Compare</a>
        </p>
      </div>
    </Layout>
  )
}
