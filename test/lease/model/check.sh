#!/usr/bin/env bash
# Model-checks test/lease/model/lease.pml with SPIN (npm run model).
#  1. The protocol as specified: bitstate search (an exhaustive search of
#     this model needs more than 3 GB; see docs/lease-protocol.md), plus
#     random simulations. Expect no assertion violation.
#  2. Each mutant must be caught: by random simulations (with steering that
#     only narrows the search) or, for the drift margin, by a steered search.
set -euo pipefail

if ! command -v spin >/dev/null 2>&1; then
  echo "spin not found: apt-get install spin" >&2
  exit 2
fi
if ! command -v gcc >/dev/null 2>&1; then
  echo "gcc not found: apt-get install gcc" >&2
  exit 2
fi

MODEL="$(cd "$(dirname "$0")" && pwd)/lease.pml"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
SIMS="${SIMS:-600}"
BASE="-DM=3"
status=0

search() { # name, expect (0|1), pan flags, defines...
  local name="$1" expect="$2" panflags="$3"; shift 3
  spin -a $BASE "$@" "$MODEL" >/dev/null
  gcc -w -O2 -DSAFETY -DBITSTATE -o pan pan.c
  local out; out="$(./pan $panflags 2>&1 || true)"
  local errors states
  errors="$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$out" | head -1)"
  states="$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' <<<"$out" | head -1)"
  printf '%-44s bitstate search: %s states, errors %s\n' "$name" "${states:-?}" "${errors:-?}"
  if [ "$expect" = 0 ] && [ "${errors:-1}" != 0 ]; then status=1; fi
  if [ "$expect" = 1 ] && [ "${errors:-0}" = 0 ]; then status=1; echo "  NOT CAUGHT"; fi
}

simulate() { # name, expect (0|1), defines...
  local name="$1" expect="$2"; shift 2
  local hits=0 first=""
  for seed in $(seq 1 "$SIMS"); do
    local out; out="$(spin -n"$seed" $BASE -DTMAX=12 -DMAXB=60 "$@" "$MODEL" 2>&1 || true)"
    if grep -q "assertion violated" <<<"$out"; then
      hits=$((hits + 1))
      if [ -z "$first" ]; then first="$seed"; fi
      if [ "$expect" != 0 ]; then break; fi
    fi
  done
  if [ "$expect" = 2 ]; then
    printf '%-44s random simulations: caught at seed %s (known gap, reported only)\n' "$name" "${first:-none of $SIMS}"
  elif [ "$expect" = 1 ]; then
    printf '%-44s random simulations: caught at seed %s\n' "$name" "${first:-none of $SIMS}"
    if [ -z "$first" ]; then status=1; fi
  else
    printf '%-44s random simulations: %s/%s violating\n' "$name" "$hits" "$SIMS"
    if [ "$hits" != 0 ]; then status=1; fi
  fi
}

echo "== protocol as specified (expect no violation)"
search "spec, all faults (TMAX=6)" 0 "-w24 -m300" -DTMAX=6
search "spec, worst drift, no renewal (TMAX=6)" 0 "-w24 -m300" -DTMAX=6 -DWORST_DRIFT -DNO_RENEWAL
simulate "spec, all faults" 0
simulate "spec, crash on grant" 0 -DCRASH_ON_GRANT
simulate "spec, proposer crash, 3 acceptor crashes" 0 -DPCRASH=1 -DACRASH=3

echo "== mutants (expect each caught)"
search "NO_DRIFT_MARGIN (worst drift, no renewal)" 1 "-w24 -m300" -DTMAX=5 -DACRASH=0 -DWORST_DRIFT -DNO_RENEWAL -DNO_DRIFT_MARGIN
simulate "TIMER_ON_ACK" 1 -DTIMER_ON_ACK
simulate "QUORUM_ONE (quorum of a local view)" 1 -DQUORUM_ONE
simulate "NO_RESTART_WAIT (crash on grant)" 1 -DNO_RESTART_WAIT -DCRASH_ON_GRANT
# Known gap: the fence regression needs a takeover, a majority of acceptor
# crashes and a proposer crash in one run; neither random simulation nor a
# bounded bitstate search has reached it here. The TypeScript simulator's
# floorPersist scenario catches this mutant (docs/lease-protocol.md).
simulate "NO_FLOOR_PERSIST (proposer + acceptor crashes)" 2 -DNO_FLOOR_PERSIST -DPCRASH=1 -DACRASH=3

if [ "$status" = 0 ]; then echo "model check: OK"; else echo "model check: FAILED"; fi
exit "$status"
