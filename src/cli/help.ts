// What `--help` prints: each command's usage, options and exit status.

export const MAIN_HELP = `Usage: juxta <command> [options]

Ask several LLM providers the same question and compare answers, speed and real cost.
Uses the same config, keys and history database as the server (JUXTA_CONFIG, JUXTA_DATA_DIR).

Commands:
  ask PROMPT       ask every target the same question; live columns, then the figures
  study FILE       run a prompt file against targets, k times each; statistics and paired cost ratios
  targets          list the targets on offer (provider/model), with key status
  serve            start the web server (PORT, HOST)
  migrate          copy the SQLite history, keys and providers into PostgreSQL (--to postgres://…)

Run juxta <command> --help for a command's options.

Exit status: 0 ok, 1 a target failed or Juxta could not start, 2 bad usage, 130 interrupted (Ctrl-C).
`

export const ASK_HELP = `Usage: juxta ask [-t TARGET]... [options] PROMPT

Asks every target the same question. In a terminal the answers stream into columns side by side (stacked when
the terminal is too narrow), then one row of figures per target: time to first token, tokens/s, total time,
tokens and cost. Into a pipe: one section per target, then the figures. The run is kept in history.

  PROMPT                 the question; - reads it from stdin
  -t, --target T         provider/model, repeatable (default: the ready demo targets, as the compare page)
      --system S         system prompt
      --temperature T    0 to 2
      --max-tokens N     output token limit
      --json             print the run as POST /api/compare answers it (results and summary)
  -h, --help             this help

Exit status: 0 all targets answered, 1 a target failed, 2 bad usage, 130 interrupted.
`

export const TARGETS_HELP = `Usage: juxta targets [--json]

Lists the targets on offer, as GET /api/targets does: provider/model, label, key status, and for local servers
whether they answer.

      --json             print GET /api/targets's JSON
  -h, --help             this help
`

export const SERVE_HELP = `Usage: juxta serve [--port N] [--host H]

Starts the web server, as npm start does (environment: PORT, HOST, JUXTA_CONFIG, JUXTA_DATA_DIR,
JUXTA_AUTH_TOKEN, ...). Ctrl-C stops it.

      --port N           port (default PORT or 8787; 0 picks a free one)
      --host H           address to bind (default HOST or 127.0.0.1)
  -h, --help             this help
`

export const STUDY_HELP = `Usage: juxta study FILE -t TARGET [-t TARGET]... [options]

Runs every prompt of FILE against every target, k times each, and prints per target: cells ok/errors, cost per
request (mean, median, p90), TTFT and tokens/s (medians), pass rate; then the paired cost ratio of each target
against the cheapest, with its 95% interval. Progress goes to stderr. The study and its cells are kept in history.

  FILE                   prompts: one per line (.txt), or CSV / JSONL with prompt, system, expected
  -t, --target T         provider/model, repeatable (at least one)
      --repeats K        runs of each prompt per target (default 1)
      --concurrency N    requests in flight per provider (default 4)
      --max-usd X        budget: refuse to start when the estimate is above it
      --name NAME        the study's name
      --temperature T    0 to 2
      --max-tokens N     output token limit
      --json             print the study as GET /api/studies/:id answers it
      --out FILE         also write the export: FILE ending in .csv, .json or .html
  -h, --help             this help

Ctrl-C cancels the study (requests in flight are aborted) and exits with 130.
Exit status: 0 every cell answered, 1 a cell failed, 2 bad usage, 130 cancelled.
`

export const MIGRATE_HELP = `Usage: juxta migrate --to postgres://USER:PASSWORD@HOST:PORT/DATABASE [options]

Copies the SQLite history of JUXTA_DATA_DIR into PostgreSQL, for a team deployment (DATABASE_URL): every run
with its images, votes and blind letters, and the presets, through the JSON export format; then the keys stored
in the settings page and the providers added there (the team's own, by the same id, are kept). Runs already in
the target are skipped, so an interrupted migration can be run again. Studies are not carried over. The target's
schema is created or brought up to date first. JUXTA_SECRET must be set: the database keeps keys only sealed
with it, and every instance then needs the same value.

      --to URL           the PostgreSQL database (its password is never printed)
      --batch N          runs per batch, 1 to 5000 (default 250)
      --json             print the outcome as JSON
  -h, --help             this help

Exit status: 0 copied, 1 the source or the target could not be used, 2 bad usage.
`
