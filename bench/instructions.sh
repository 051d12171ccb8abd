#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: unlike requests/s or CPU time, the
# count does not move with the machine's load, so small differences between servers show.
# Each server is warmed up (the JIT settles). Every batch of requests also carries a fixed cost (the
# load generator's new connections, callgrind's own dump), large next to one request; so two batches
# are counted, N and 5N requests, and the difference divided by 4N is the cost of one more request.
#   bash bench/instructions.sh [N=2000] [server...]   servers: bare none onion legacy django mw:Name,Name
#   (default: all but mw:, which runs manouche-middleware.mjs with the named @manouche/core middleware)
set -euo pipefail
cd "$(dirname "$0")"
node ../scripts/ensure-installed.mjs .
N=${1:-2000}
shift || true
WARMUP=2000
count() { # pid requests port -> instructions of that batch
  local pid=$1 requests=$2 port=$3 out=$4 label=$5
  callgrind_control --zero "$pid" >/dev/null
  npx autocannon -a "$requests" -c 10 "http://127.0.0.1:$port/" >/dev/null 2>&1
  callgrind_control --dump="$label" "$pid" >/dev/null
  grep -h '^summary:' $(grep -l "$label" "$out"/cg.*) | awk '{s+=$2} END {print s}'
}
run() { # name script env...
  local name=$1 script=$2; shift 2
  local port=$((20000 + RANDOM % 10000))
  local out; out=$(mktemp -d)
  env "$@" PORT=$port valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" \
    node --input-type=module -e "process.on('SIGINT', () => process.exit(0)); await import('./servers/$script')" \
    >"$out/log" 2>&1 &
  local pid=$!
  until node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" 2>/dev/null; do sleep 1; done
  npx autocannon -a $WARMUP -c 10 "http://127.0.0.1:$port/" >/dev/null 2>&1
  local small large
  small=$(count "$pid" "$N" "$port" "$out" small-batch)
  large=$(count "$pid" $((5 * N)) "$port" "$out" large-batch)
  kill -INT "$pid"; wait "$pid" || true
  printf '| %s | %d |\n' "$name" $(((large - small) / (4 * N)))
  rm -rf "$out"
}
servers=("$@")
[ ${#servers[@]} -eq 0 ] && servers=(bare none onion legacy)
printf '| server | instructions per request |\n| --- | ---: |\n'
for server in "${servers[@]}"; do
  case $server in
    bare) run 'node:http (bare)' node-http.mjs X=1 ;;
    none) run 'manouche, no middleware' manouche.mjs MIDDLEWARE_COUNT=0 ;;
    onion) run 'manouche, 5 MIDDLEWARE' manouche.mjs MIDDLEWARE_COUNT=5 MODE=MIDDLEWARE ;;
    legacy) run 'manouche, 5 MIDDLEWARE_CLASSES' manouche.mjs MIDDLEWARE_COUNT=5 MODE=MIDDLEWARE_CLASSES ;;
    django) run 'manouche, Django default MIDDLEWARE' stack-manouche.mjs X=1 ;;
    mw:*) run "manouche, ${server#mw:}" manouche-middleware.mjs "MIDDLEWARE_NAMES=${server#mw:}" ;;
    *) echo "unknown server $server (bare none onion legacy django mw:Name,Name)" >&2; exit 2 ;;
  esac
done
