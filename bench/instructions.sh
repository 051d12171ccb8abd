#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: unlike requests/s or CPU time, the
# count does not move with the machine's load, so small differences between servers show.
# Each server is warmed up (the JIT settles), its counters are zeroed, then N requests are counted.
#   bash bench/instructions.sh [N=2000]     (about 20 s per server; needs valgrind)
set -euo pipefail
cd "$(dirname "$0")"
N=${1:-2000}
WARMUP=1000
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
  callgrind_control --zero "$pid" >/dev/null
  npx autocannon -a "$N" -c 10 "http://127.0.0.1:$port/" >/dev/null 2>&1
  callgrind_control --dump="measured" "$pid" >/dev/null
  kill -INT "$pid"; wait "$pid" || true
  local total
  total=$(grep -h '^summary:' $(grep -l 'measured' "$out"/cg.*) | awk '{s+=$2} END {print s}')
  echo "$name $((total / N))"
  rm -rf "$out"
}
printf '| server | instructions per request |\n| --- | ---: |\n'
run 'node:http (bare)' node-http.mjs X=1 | awk '{n=$NF; $NF=""; printf "| %s| %d |\n", $0, n}'
run 'manouche, no middleware' manouche.mjs MIDDLEWARE_COUNT=0 | awk '{n=$NF; $NF=""; printf "| %s| %d |\n", $0, n}'
run 'manouche, 5 MIDDLEWARE' manouche.mjs MIDDLEWARE_COUNT=5 MODE=MIDDLEWARE | awk '{n=$NF; $NF=""; printf "| %s| %d |\n", $0, n}'
run 'manouche, 5 MIDDLEWARE_CLASSES' manouche.mjs MIDDLEWARE_COUNT=5 MODE=MIDDLEWARE_CLASSES | awk '{n=$NF; $NF=""; printf "| %s| %d |\n", $0, n}'
