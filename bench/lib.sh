# Shared by the bench scripts: a private PostgreSQL cluster with durable settings and receivers in Release.
# Source it from the repository root; it sets $work, $pgport, $pgbin, $bench_connection and cleans up on exit.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PGPASSWORD=postgres
bench_secret=bench-callback-secret-0123456789-abcdefgh
bench_query_key=bench-query-key-0123456789
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

# start_receiver PORT: JWT auth as AP configures it, a query key; sets $receiver_pid once it is ready.
start_receiver() {
  ConnectionStrings__Receiver="$bench_connection" \
  CALLBACK_API_AUTH_TYPE=jwt SECRET_CALLBACK_API_AUTH_SECRET=$bench_secret QueryApi__Auth__ApiKey__Keys__0=$bench_query_key \
  CALLBACK_API_AUTH_JWT_EXPIRATION_MILLISECONDS=$((bench_token_seconds * 1000)) \
  ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    dotnet src/Receiver/bin/Release/net10.0/Receiver.dll --urls "http://127.0.0.1:$1" >"$work/receiver-$1.log" 2>&1 &
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
