#!/usr/bin/env bash
# Model-checks test/lease/model/lease.pml with SPIN (npm run model).
# Every search is a FULL search (no bitstate, no hash compaction):
#   - the protocol as specified must show no violation, and the search must
#     be complete (errors 0, depth below the limit, memory not exhausted);
#   - coverage goals must be reached (the search is not vacuous);
#   - every mutant must be caught (a counterexample is found);
#   - the two findings about the code as written must still show theirs.
# Prints a table; exits 1 if any expectation fails, 2 if spin or gcc is missing.
#
#   bash check.sh           full bounds for the specified protocol (~1.5 min, ~2.3 GB)
#   bash check.sh --quick   smaller bounds for it (seconds; used by npm test)
#   KEEP=1 bash check.sh    keep the work directory (trails: spin -t ... lease.pml)
set -euo pipefail

if ! command -v spin >/dev/null 2>&1; then
  echo "spin not installed: apt-get install spin" >&2
  exit 2
fi
if ! command -v gcc >/dev/null 2>&1; then
  echo "gcc not installed: apt-get install gcc" >&2
  exit 2
fi

QUICK=0
if [ "${1:-}" = "--quick" ]; then QUICK=1; fi
MODEL="$(cd "$(dirname "$0")" && pwd)/lease.pml"
WORK="$(mktemp -d)"
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
cd "$WORK"

DEPTH=10000       # pan -m: DFS depth limit; the deepest run reaches about 70
MEMLIM=4000       # MB: pan stops (and the row fails) rather than exceed this
status=0

printf '%-30s %-9s %10s %5s %7s  %-38s %s\n' "run" "expect" "states" "depth" "time" "result" "flags"

# run NAME EXPECT(pass|reach|violation) OPT BOUNDS... ; BOUNDS are -D flags for spin
run() {
  local name="$1" expect="$2" opt="$3"; shift 3
  local tag; tag="$(echo "$name" | tr -c 'A-Za-z0-9' '_')"
  mkdir -p "$tag" && cd "$tag"
  cp "$MODEL" lease.pml
  spin -a "$@" lease.pml >/dev/null
  gcc "$opt" -w -DSAFETY -DNOREDUCE -DMEMLIM="$MEMLIM" -o pan pan.c
  local start end out
  start=$(date +%s.%N)
  out="$(./pan -m"$DEPTH" -w25 2>&1 || true)"
  end=$(date +%s.%N)
  echo "$out" >pan.out
  local errors states depth secs verdict
  errors="$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$out" | head -1)"
  states="$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' <<<"$out" | head -1)"
  depth="$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' <<<"$out" | head -1)"
  secs="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1fs", b - a }')"
  local incomplete=""
  if grep -qiE 'max search depth too small|out of memory|MEMLIM|search not completed|bitstate|hash-compact' <<<"$out"; then incomplete=1; fi
  if [ "$expect" = pass ]; then
    if [ "${errors:-x}" = 0 ] && [ -z "$incomplete" ] && [ "${depth:-$DEPTH}" -lt "$DEPTH" ]; then
      verdict="ok: complete, no violation"
    else
      verdict="FAILED: $(grep -m1 -E 'assertion violated|out of memory|too small|MEMLIM' <<<"$out" || echo "errors ${errors:-?}")"
      status=1
    fi
  else
    local line; line="$(grep -m1 'assertion violated' <<<"$out" || true)"
    if [ "${errors:-0}" -ge 1 ] && [ -n "$line" ]; then
      if [ "$expect" = reach ]; then verdict="ok: reached"
      elif [[ "$line" == *"violated 0 "* ]]; then verdict="ok: caught, I1 (two holders)"
      elif [[ "$line" == *">lastFence"* ]]; then verdict="ok: caught, I2 (fence not increasing)"
      else verdict="ok: caught ($line)"; fi
    else
      verdict="FAILED: not caught"
      status=1
    fi
  fi
  local bounds; bounds="$(echo "$@" | sed 's/-D//g')"
  printf '%-30s %-9s %10s %5s %7s  %-38s %s\n' "$name" "$expect" "${states:-?}" "${depth:-?}" "$secs" "$verdict" "$bounds"
  cd "$WORK"
}

if [ "$QUICK" = 1 ]; then
  SPEC=(-DNB=1 -DS=2 -DACRASH=1 -DPCRASH=1)
  SPEC_OPT=-O0
else
  SPEC=(-DNB=2 -DS=2 -DACRASH=1 -DPCRASH=1)
  SPEC_OPT=-O2
fi
SMALL=(-DNB=2 -DS=2 -DACRASH=1 -DPCRASH=0)
CRASHES=(-DNB=1 -DS=2 -DACRASH=1 -DPCRASH=1)

echo "== the protocol as specified: full search, expect no violation"
run "spec" pass "$SPEC_OPT" "${SPEC[@]}"

echo "== coverage: each goal must be reachable (else the search above proves little)"
run "takeover after acceptor crash" reach -O0 "${SMALL[@]}" -DCOVER=2
run "release clears a grant" reach -O0 "${SMALL[@]}" -DCOVER=3
run "renewal extends a tenure" reach -O0 "${SMALL[@]}" -DCOVER=4
run "holds again after own crash" reach -O0 -DNB=2 -DS=2 -DACRASH=1 -DPCRASH=1 -DCOVER=5

echo "== mutants: each must be caught"
# I1_ONLY turns the fence assertion off, so these must produce two holders at once.
run "NO_DRIFT_MARGIN" violation -O0 "${SMALL[@]}" -DNO_DRIFT_MARGIN -DI1_ONLY
run "HALF_DRIFT_MARGIN" violation -O0 "${SMALL[@]}" -DHALF_DRIFT_MARGIN -DI1_ONLY
run "VIEW_QUORUM" violation -O0 "${SMALL[@]}" -DVIEW_QUORUM -DI1_ONLY
run "NO_RESTART_WAIT" violation -O0 "${SMALL[@]}" -DNO_RESTART_WAIT -DI1_ONLY
run "TIMER_ON_ACK" violation -O0 "${SMALL[@]}" -DTIMER_ON_ACK -DI1_ONLY
run "NO_FLOOR_PERSIST" violation -O0 "${SMALL[@]}" -DNO_FLOOR_PERSIST

echo "== findings about the code as written (docs/lease-protocol.md, section 9)"
run "OLD_LIFE_MESSAGES" violation -O0 "${CRASHES[@]}" -DOLD_LIFE_MESSAGES -DI1_ONLY
run "SHARED_SEQ" violation -O0 "${CRASHES[@]}" -DSHARED_SEQ

if [ "$status" = 0 ]; then echo "model check: OK"; else echo "model check: FAILED"; fi
exit "$status"
