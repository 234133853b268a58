/*
 * SPIN model of the core lease rules (one partition, 3 acceptors, 2
 * proposers). Time is discrete ticks of a global clock that only the
 * `tick` process advances; each node's clock drift is folded into the
 * durations: an acceptor keeps a grant for M or M-1 real ticks (fast
 * clock), a holder trusts H or H+1 real ticks (slow clock). rho*M = 1 tick.
 *
 * Network: one channel per receiver; any send may be lost; messages wait
 * in channels while time passes (delay) and interleave across senders
 * (reordering). Crashes: acceptors forget everything except the persisted
 * ballot floor and stay silent for W; proposers forget everything.
 *
 * Mutants (compile with -D...): NO_DRIFT_MARGIN, TIMER_ON_ACK,
 * NO_RESTART_WAIT, NO_FLOOR_PERSIST, QUORUM_ONE (a "view" that sees one voter).
 * Steering (narrows the search to the dangerous corner, never adds behaviour):
 * WORST_DRIFT (all clocks at the drift bound), CRASH_ON_GRANT (acceptors
 * crash only right after accepting a grant), NO_RENEWAL (holders never renew).
 */

#define NA 3
#define NP 2
#ifndef M
#define M 4
#endif
#ifdef NO_DRIFT_MARGIN
#define H (M-1)
#else
#define H (M-2)           /* M(1 - 2 rho): two ticks of margin */
#endif
#ifdef NO_RESTART_WAIT
#define W 0
#else
#define W M               /* M(1 + rho) local >= M real */
#endif
#ifdef QUORUM_ONE
#define MAJ 1
#else
#define MAJ 2
#endif
#ifndef TMAX
#define TMAX 7
#endif
#ifndef MAXB
#define MAXB 5            /* ballots 1..MAXB; ballot b belongs to proposer b % NP */
#endif
#ifndef ACRASH
#define ACRASH 1
#endif
#ifndef PCRASH
#define PCRASH 0
#endif

mtype = { PREP, PROP, PROM, ACC };

byte now = 0;
byte acrashes = 0;
byte pcrashes = 0;

/* to acceptor i: type, ballot, seq */
chan toA[NA] = [2] of { mtype, byte, bit };
/* to proposer j: type, ballot, seq, acceptor, ok, promised */
chan toP[NP] = [2] of { mtype, byte, bit, byte, bit, byte };

bool holding[NP];
byte validUntil[NP];
byte lastFence = 0;       /* ballot of the latest grant (fences must strictly increase) */

#define holds(j) (holding[j] && now < validUntil[j])

/*
 * A send is lost when the receiver's buffer is full. With -DLOSSY any send
 * may also be lost. Without it, loss is still covered for safety: a message
 * can stay in its channel until the time bound, which no node can tell
 * from a loss.
 */
#ifdef LOSSY
#define SEND(ch, a, b, c) if :: nfull(ch) -> ch ! a, b, c :: skip fi
#define REPLY(ch, a, b, c, d, e, f) if :: nfull(ch) -> ch ! a, b, c, d, e, f :: skip fi
#else
#define SEND(ch, a, b, c) if :: nfull(ch) -> ch ! a, b, c :: full(ch) -> skip fi
#define REPLY(ch, a, b, c, d, e, f) if :: nfull(ch) -> ch ! a, b, c, d, e, f :: full(ch) -> skip fi
#endif

/* Acceptor state is global so that the clock can clear what has expired (fewer distinct states). */
byte promised[NA];        /* persisted (the ballot floor): survives a crash unless NO_FLOOR_PERSIST */
byte accB[NA];            /* 0 = nothing accepted (or expired) */
byte expires[NA];
byte waitUntil[NA];

proctype Acceptor(byte i) {
  mtype t; byte b; bit s;
end:
  do
  :: atomic {
       toA[i] ? t, b, s ->
       if
       :: now < waitUntil[i] -> skip
       :: else ->
          if
          :: t == PREP ->
             if
             :: b < promised[i] -> REPLY(toP[b % NP], PROM, b, s, i, 0, promised[i])
             :: b >= promised[i] && accB[i] != 0 && (accB[i] % NP) != (b % NP) -> REPLY(toP[b % NP], PROM, b, s, i, 0, 0)
             :: else -> promised[i] = b; REPLY(toP[b % NP], PROM, b, s, i, 1, 0)
             fi
          :: t == PROP ->
             if
             :: b < promised[i] -> REPLY(toP[b % NP], ACC, b, s, i, 0, promised[i])
             :: else ->
                promised[i] = b; accB[i] = b;
#ifdef WORST_DRIFT
                expires[i] = now + M - 1;     /* every acceptor clock at the fast bound */
#else
                if :: expires[i] = now + M :: expires[i] = now + M - 1 fi;
#endif
                REPLY(toP[b % NP], ACC, b, s, i, 1, 0)
             fi
          fi
       fi;
       t = 0; b = 0; s = 0
     }
  :: atomic {
#ifdef CRASH_ON_GRANT
       acrashes < ACRASH && accB[i] != 0 ->   /* directed: crash right after accepting a grant */
#else
       acrashes < ACRASH ->
#endif
       acrashes++;
       accB[i] = 0; expires[i] = 0;
#ifdef NO_FLOOR_PERSIST
       promised[i] = 0;
#endif
       waitUntil[i] = now + W;
       if :: waitUntil[i] <= now -> waitUntil[i] = 0 :: else fi
     }
  od
}

#define IDLE 0
#define PREPARING 1
#define PROPOSING 2
#define HOLDING 3

proctype Proposer(byte j) {
  byte phase = IDLE;
  byte next = j;          /* highest ballot number seen, for choosing the next one */
  byte myB = 0; bit seq = 0; byte tSend = 0;
  byte mask = 0; bool renewing = false;
  mtype t; byte b; bit s; byte a; bit ok; byte pb;
end:
  do
  :: atomic {
       phase == IDLE && (next / NP + 1) * NP + j <= MAXB ->
       myB = (next / NP + 1) * NP + j; next = myB; mask = 0; tSend = now; phase = PREPARING;
       SEND(toA[0], PREP, myB, 0); SEND(toA[1], PREP, myB, 0); SEND(toA[2], PREP, myB, 0)
     }
  :: atomic {
       phase == PREPARING && (((mask & 1) + ((mask >> 1) & 1) + ((mask >> 2) & 1)) >= MAJ) ->
       tSend = now; mask = 0; seq = 1 - seq; phase = PROPOSING;   /* the clock is read BEFORE Propose leaves */
       SEND(toA[0], PROP, myB, seq); SEND(toA[1], PROP, myB, seq); SEND(toA[2], PROP, myB, seq)
     }
  :: (phase == PROPOSING || (phase == HOLDING && renewing)) && (((mask & 1) + ((mask >> 1) & 1) + ((mask >> 2) & 1)) >= MAJ) ->
     atomic {
#ifdef TIMER_ON_ACK
       tSend = now;
#endif
       if
       :: phase == PROPOSING ->
#ifdef WORST_DRIFT
          validUntil[j] = tSend + H + 1;      /* every holder clock at the slow bound */
#else
          if :: validUntil[j] = tSend + H :: validUntil[j] = tSend + H + 1 fi;
#endif
          if
          :: now < validUntil[j] ->
             assert(!holds(1 - j));        /* I1: never two holders at one instant */
             assert(myB > lastFence);      /* I2: fences strictly increase */
             lastFence = myB; holding[j] = true; phase = HOLDING
          :: else -> phase = IDLE; validUntil[j] = 0; tSend = 0; seq = 0; myB = 0
          fi
       :: else ->
          if
          :: tSend + H > validUntil[j] -> validUntil[j] = tSend + H
          :: tSend + H + 1 > validUntil[j] -> validUntil[j] = tSend + H + 1
          :: else -> skip
          fi;
          assert(!(holds(j) && holds(1 - j)))   /* I1, after a renewal */
       fi;
       renewing = false; mask = 0
     }
#ifndef NO_RENEWAL
  :: atomic {
       phase == HOLDING && !renewing && now < validUntil[j] && now > tSend ->
       tSend = now; mask = 0; seq = 1 - seq; renewing = true;
       SEND(toA[0], PROP, myB, seq); SEND(toA[1], PROP, myB, seq); SEND(toA[2], PROP, myB, seq)
     }
#endif
  :: atomic { phase == HOLDING && now >= validUntil[j] -> holding[j] = false; validUntil[j] = 0; renewing = false; phase = IDLE; tSend = 0; seq = 0; mask = 0; myB = 0 }
  :: atomic {   /* round timeout: a round may be abandoned once a tick has passed since it started */
       (phase == PREPARING || phase == PROPOSING || renewing) && now > tSend ->
       renewing = false; mask = 0;
       if :: phase != HOLDING -> phase = IDLE; tSend = 0; seq = 0; myB = 0 :: else fi
     }
  :: atomic {
       toP[j] ? t, b, s, a, ok, pb ->
       if :: pb > next -> next = pb :: else fi;
       if
       :: ok && b == myB && s == seq && ((t == PROM && phase == PREPARING) || (t == ACC && (phase == PROPOSING || renewing))) -> mask = mask | (1 << a)
       :: !ok && b == myB && phase == PREPARING -> phase = IDLE; tSend = 0; seq = 0; myB = 0; mask = 0
       :: else -> skip
       fi;
       t = 0; b = 0; s = 0; a = 0; ok = 0; pb = 0
     }
  :: pcrashes < PCRASH ->
     atomic { pcrashes++; holding[j] = false; validUntil[j] = 0; renewing = false; phase = IDLE; next = j; mask = 0; tSend = 0; seq = 0; myB = 0 }
  od
}

/* The only process that moves time. It also forgets what has expired, which changes no behaviour. */
active proctype tick() {
  byte i;
end:
  do
  :: atomic {
       now < TMAX -> now++;
       i = 0;
       do
       :: i < NA ->
          if :: expires[i] <= now -> accB[i] = 0; expires[i] = 0 :: else fi;
          if :: waitUntil[i] <= now -> waitUntil[i] = 0 :: else fi;
          i++
       :: else -> i = 0; break
       od
     }
  od
}

/*
 * I1 is asserted where a holding interval can start or grow (grant and
 * renewal); between those points intervals only shrink as time passes.
 */

init {
  atomic {
    run Acceptor(0); run Acceptor(1); run Acceptor(2);
    run Proposer(0); run Proposer(1)
  }
}
