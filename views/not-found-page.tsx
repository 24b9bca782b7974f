import { Layout } from './layout.tsx'

export function NotFoundPage() {
  return (
    <Layout title="Not found">
      <h1>Not found</h1>
      <p class="card">
        There is nothing at this address. <a href="/">Back to Compare</a> · <a href="/history">History</a>
      </p>
    </Layout>
  )
}
