/** Versioned URL segment for the vendored htmx files, so they can be cached for a long time. */
export const HTMX_VERSION = '4.0.1'
