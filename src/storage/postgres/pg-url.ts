// Apart from pg-database.ts so that reading the environment does not load the pg driver.

/** Where a connection string points, without its password: for messages and logs. */
export function describePgUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`
  } catch {
    return 'an unparsable DATABASE_URL'
  }
}
