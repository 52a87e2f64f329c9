# Shared by the bench scripts: a private PostgreSQL cluster with durable settings and receivers in Release.
# Source it from the repository root; it sets $work, $pgport, $pgbin, $bench_connection and cleans up on exit.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PGPASSWORD=postgres
bench_secret=bench-callback-secret-0123456789-abcdefgh
bench_query_key=bench-query-key-0123456789
# A key with the read scope only (a dashboard's): its reads have personal data withheld and are not audited. The
# legacy key above holds every scope, so each of its reads is also written to the audit trail.
bench_read_key=bench-read-key-0123456789
# One token serves a whole run (wrk sends the same header throughout), so the receiver under test is told that AP
# mints tokens this long-lived; it refuses a longer exp - iat than CALLBACK_API_AUTH_JWT_EXPIRATION_MILLISECONDS.
bench_token_seconds=3600

scripts/pg install
work=$(mktemp -d /tmp/receiver-bench.XXXXXX); chmod 755 "$work"
receiver_pids=()
bench_cleanup() {
  for pid in "${receiver_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg stop "$work/pg" fast || true
  rm -rf "$work"
}
trap bench_cleanup EXIT

# start_cluster [extra -c settings...]: durable commits, so every 200 is an fsync'ed commit.
start_cluster() {
  scripts/pg init "$work/pg"
  pgport=$(scripts/pg free-port 56432)
  bench_connection="Host=127.0.0.1;Port=$pgport;Database=receiver;Username=postgres;Password=postgres"
  scripts/pg start "$work/pg" "$pgport" -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300 "$@"
  pgbin=$(scripts/pg bin)
  "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres receiver
  dotnet build src/Receiver -c Release -v q -nologo >/dev/null
}

bench_psql() { "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -d receiver -v ON_ERROR_STOP=1 -qAt "$@"; }

# start_receiver PORT [DLL]: JWT auth as AP configures it, a query key; sets $receiver_pid once it is ready. DLL is
# the build to run (default: the working tree's Release build); $receiver_env (NAME=VALUE ...) goes over the bench's
# settings.
start_receiver() {
  ConnectionStrings__Receiver="$bench_connection" \
  CALLBACK_API_AUTH_TYPE=jwt SECRET_CALLBACK_API_AUTH_SECRET=$bench_secret QueryApi__Auth__ApiKey__Keys__0=$bench_query_key \
  QueryApi__Auth__ApiKey__Clients__0__Name=bench-reader QueryApi__Auth__ApiKey__Clients__0__Key=$bench_read_key \
  QueryApi__Auth__ApiKey__Clients__0__Scopes=read \
  CALLBACK_API_AUTH_JWT_EXPIRATION_MILLISECONDS=$((bench_token_seconds * 1000)) \
  ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    env ${receiver_env:-} dotnet "${2:-src/Receiver/bin/Release/net10.0/Receiver.dll}" --urls "http://127.0.0.1:$1" >"$work/receiver-$1.log" 2>&1 &
  receiver_pid=$!
  receiver_pids+=("$receiver_pid")
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null && return 0; sleep 0.5; done
  cat "$work/receiver-$1.log" >&2; return 1
}

bench_tool_dll=bench/Receiver.Bench/bin/Release/net10.0/Receiver.Bench.dll
build_bench_tool() { dotnet build bench/Receiver.Bench -c Release -v q -nologo >/dev/null; }
bench_tool() {
  build_bench_tool
  dotnet "$bench_tool_dll" "$@"
}

# record TITLE TEXT: appends a dated, committed block to bench/RESULTS.md.
record() {
  { echo; echo "### $1, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) cores"; echo; echo "$2"; } >> bench/RESULTS.md
  echo "appended to bench/RESULTS.md"
}

# median_min_max: of the numbers on stdin, one a line, "median min max" (the median of an even count is the mean of
# the middle two).
median_min_max() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f %.6f %.6f\n", m, v[1], v[NR] }'; }
# ratios FILE OTHER: each round's rate (first column) in FILE over the same round's in OTHER, as "median min max".
ratios() { paste -d' ' <(cut -d' ' -f1 "$1") <(cut -d' ' -f1 "$2") | awk '{ print ($2 > 0 ? $1 / $2 : 0) }' | median_min_max; }
# spread "MEDIAN MIN MAX" [DECIMALS]: for display only; verdicts compare the unrounded values.
spread() { echo "$1" | awk -v d="${2:-2}" '{ printf "%.*f (%.*f–%.*f)", d, $1, d, $2, d, $3 }'; }
# median FILE COLUMN: the median of that column over the rounds (the mean of the middle two for an even count).
median() { cut -d' ' -f"$2" "$1" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# CPU per operation, to tell whose time a rate is made of: the load generator's (this shell's children: wrk,
# pgbench, Receiver.Bench), the receiver's, and the rest of the machine's (PostgreSQL, mostly). cpu_start before a
# run; cpu_per_op OPS after it sets $cpu_result to "client_us receiver_us rest_us". `times` runs in this shell, not
# in a $(...), whose fork would know none of the children.
ticks=$(getconf CLK_TCK)
machine_us() { awk -v t="$ticks" '/^cpu / { printf "%.0f\n", ($2 + $3 + $4 + $7 + $8) * 1e6 / t }' /proc/stat; }
receiver_us() { awk -v t="$ticks" '{ printf "%.0f\n", ($14 + $15) * 1e6 / t }' "/proc/$receiver_pid/stat"; }
children_us() { awk 'function s(v) { split(v, p, /[ms]/); return p[1] * 60 + p[2] } NR == 2 { printf "%.0f\n", (s($1) + s($2)) * 1e6 }' "$1"; }
cpu_start() { cpu_all=$(machine_us); cpu_receiver=$(receiver_us); times >"$work/times"; cpu_client=$(children_us "$work/times"); }
cpu_per_op() {
  times >"$work/times"
  local all=$(( $(machine_us) - cpu_all )) receiver=$(( $(receiver_us) - cpu_receiver )) client=$(( $(children_us "$work/times") - cpu_client ))
  cpu_result=$(awk -v n="$1" -v a="$all" -v r="$receiver" -v c="$client" 'BEGIN { if (n < 1) n = 1; printf "%.0f %.0f %.0f", c / n, r / n, (a - r - c) / n }')
}

# wrk CONNECTIONS SCRIPT [TRANSACTIONS] -> "rate p50_ms p99_ms non2xx wrk_us receiver_us rest_us", against $url for
# $seconds, the receiver's CPU read from $receiver_pid; TRANSACTIONS defaults to $transactions.
# An ingest run must store a new event for every 2xx it counts: a run that measured redeliveries would say nothing.
wrk_run() {
  local threads=$(( $1 < 2 ? 1 : 2 )) before
  before=$(bench_psql -c "SELECT count(*) FROM events")
  cpu_start
  RUN=$(date +%s%N) TRANSACTIONS=${3:-$transactions} wrk -t"$threads" -c"$1" -d"${seconds}s" --latency -s "bench/lua/$2" "$url" >"$work/wrk.out" 2>&1 || true
  cpu_per_op "$(awk '/requests in/ { print $1 }' "$work/wrk.out")"; local cpu=$cpu_result
  if [ "$2" = ingest.lua ]; then
    local answered stored
    answered=$(awk '/requests in/ { n = $1 } /Non-2xx/ { n -= $NF } END { print n + 0 }' "$work/wrk.out")
    stored=$(( $(bench_psql -c "SELECT count(*) FROM events") - before ))
    [ "$stored" -ge "$answered" ] || { echo "bench: $answered events acknowledged but only $stored stored" >&2; exit 1; }
  fi
  awk -v cpu="$cpu" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rate = $2 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { printf "%.0f %.2f %.2f %d %s\n", rate, p50, p99, bad, cpu }' "$work/wrk.out"
}

# fill_transactions N: a row in transactions for every bench id bench-tx-0 .. N-1 (copies of one stored row), so that
# each GET of bench/lua/get-transaction.lua finds its transaction.
fill_transactions() {
  bench_psql -c "INSERT INTO transactions (id, sep, kind, status, started_at, updated_at, order_key, head_seq, head_event_id,
             snapshot, assets, accounts, customer_ids, changed_at)
           SELECT 'bench-tx-' || n, t.sep, t.kind, t.status, t.started_at, t.updated_at, t.order_key, t.head_seq, t.head_event_id,
                  t.snapshot, t.assets, t.accounts, t.customer_ids, t.changed_at
           FROM generate_series(0, $(($1 - 1))) n, (SELECT * FROM transactions LIMIT 1) t
           ON CONFLICT DO NOTHING"
}

# pgbench CLIENTS FILE -> "tps p50_ms p99_ms pgbench_us receiver_us rest_us" (latencies from its per-transaction log)
pgbench_run() {
  rm -f "$work"/pgbench_log.*
  cpu_start
  "$pgbin/pgbench" -h 127.0.0.1 -p "$pgport" -U postgres -n -M prepared -c "$1" -j $(( $1 < 2 ? 1 : 2 )) -T "$seconds" -f "$2" \
    -l --log-prefix="$work/pgbench_log" receiver >"$work/pgbench.out" 2>&1 || { cat "$work/pgbench.out" >&2; return 1; }
  cpu_per_op "$(awk '/actually processed/ { print $NF }' "$work/pgbench.out")"; local cpu=$cpu_result
  local latencies; latencies=$(cat "$work"/pgbench_log.* | awk '{ print $3 }' | sort -n \
    | awk '{ v[NR] = $1 } END { printf "%.2f %.2f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }')
  echo "$(awk '/^tps/ { printf "%.0f", $3 }' "$work/pgbench.out") $latencies $cpu"
}

# ceiling_insert_setup: the ceiling of an ingest, $work/insert.sql for pgbench: the body of bench/lua/ingest.lua as one
# INSERT ... ON CONFLICT DO NOTHING per transaction, into a table shaped like events; sets $body.
ceiling_insert_setup() {
  body=$(sed -n 's/^local template = \[\[\(.*\)\]\]$/\1/p' bench/lua/ingest.lua \
    | sed 's/%s/x/g; s/%02d/00/g; s/%06d/000000/g')
  # The body comes from a one-row table: pgbench would read the ":59" of its timestamps as variables.
  # events is partitioned, and its unique key on the id is event_ids': the ceiling is one plain table, unique on id.
  bench_psql -c "CREATE TABLE bench_ceiling (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES)"
  bench_psql -c "ALTER TABLE bench_ceiling ADD UNIQUE (id)"
  bench_psql -c "CREATE TABLE bench_payload AS SELECT convert_to('$body', 'UTF8') AS body"
  cat >"$work/insert.sql" <<SQL
\set tx random(0, $((transactions - 1)))
INSERT INTO bench_ceiling (id, type, transaction_id, event_timestamp, body, received_at)
SELECT gen_random_uuid()::text, 'transaction_status_changed', 'bench-tx-' || :tx, now(), body, now() FROM bench_payload
ON CONFLICT (id) DO NOTHING;
SQL
}

# preload_events N: events added straight in SQL (the body of ceiling_insert_setup) until N are stored.
preload_events() {
  local stored; stored=$(bench_psql -c "SELECT count(*) FROM events")
  [ "$stored" -lt "$1" ] || return 0
  echo "== storing $(($1 - stored)) more events (to $1)"
  bench_psql -c "INSERT INTO events (id, type, transaction_id, sep, kind, status, updated_at, order_key, assets, accounts, customer_ids,
             event_timestamp, body, received_at)
           SELECT 'preload-' || n, 'transaction_status_changed', 'preload-tx-' || (n % $transactions), '31', 'receive', 'pending_receiver',
                  now(), now(), '{}', '{}', '{}', now(), convert_to('$body', 'UTF8'), now()
           FROM generate_series(1, $(($1 - stored))) n"
  bench_psql -c "VACUUM ANALYZE events"
}
