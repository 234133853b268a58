/*
 * SPIN model of the core lease rules of src/lease (acceptor.ts, proposer.ts
 * and the persisted floor of io.ts / node.ts), for one key, 3 acceptors and
 * 2 proposers, written so that a FULL search (no bitstate) finishes. What it
 * abstracts, and why each abstraction keeps every behaviour of the code, is
 * in docs/lease-protocol.md, section 9 ("SPIN model"); check.sh runs it.
 *
 *  - Time is true time in ticks of rho*M. Every timer is stored as what is
 *    LEFT of it and one step (Clock) moves all of them, so a state holds no
 *    clock value and the search covers runs of ANY length (no horizon).
 *    Drift is a rule on durations: a holder trusts a grant H or H+1 real
 *    ticks after its tSend (its clock may run slow); an acceptor keeps a
 *    grant M-1 real ticks (its clock runs fast: the worst case, see doc).
 *  - Network: a sent message stays in a set and may be delivered to any
 *    acceptor at any later time, any number of times, or never (loss,
 *    delay, duplication, reordering, no capacity bound). A reply is dropped
 *    once its proposer has left the round it answers (the code ignores it),
 *    a request once no acceptor can act on it any more.
 *    A proposer crash drops everything still in flight to and from it (its
 *    links die with it); -DOLD_LIFE_MESSAGES keeps them instead.
 *  - A proposer may pick any ballot number above its last one (nSeen rises
 *    on nacks and is shared by all keys), abandon a round at any moment
 *    (round timeout; a refusal changes nothing else), renew at any moment
 *    while it holds, release at any moment.
 *  - Bounds: NB ballot numbers per proposer life, S Propose rounds per
 *    ballot (acquisition + S-1 renewals), ACRASH acceptor crashes, PCRASH
 *    proposer crashes in a run.
 *
 * Properties, asserted where they can first fail:
 *  I1 never two holders at one instant of true time (process Exclusive,
 *     checked in every reachable state);
 *  I2 fences (the ballot that began a tenure) strictly increase in the
 *     order in which tenures begin.
 *
 * Mutants (each removes one rule; check.sh expects each to be caught):
 *  NO_DRIFT_MARGIN   the holder trusts M - eps (H = M) instead of M(1-2rho) - eps
 *  HALF_DRIFT_MARGIN the holder trusts M(1-rho) (H = M-1): one rho is not enough
 *  VIEW_QUORUM       quorum = majority of the voters the proposer's view sees:
 *                    proposer 0 sees {a0}, proposer 1 sees {a1, a2}
 *  NO_RESTART_WAIT   a restarted acceptor votes at once (it keeps its floor)
 *  NO_FLOOR_PERSIST  a restarted acceptor forgets its promise floor (it waits W)
 *  TIMER_ON_ACK      the holder counts its validity from the majority ack
 * Findings about the code as written (see the doc):
 *  OLD_LIFE_MESSAGES replies sent to a proposer before it restarted reach its new life
 *  SHARED_SEQ        the first Propose round of a ballot may carry a later
 *                    round number (the code's round counter is shared by all keys)
 *
 * Reading a trail (spin -t): acceptor numbers are positions after the
 * symmetry sort below, not identities.
 */

#define NA 3
#define NP 2

#ifndef M
#define M 3                 /* acceptor lease, in ticks of rho*M */
#endif
#if defined(NO_DRIFT_MARGIN)
#define H M
#elif defined(HALF_DRIFT_MARGIN)
#define H (M-1)
#else
#define H (M-2)             /* M(1 - 2 rho) */
#endif
#ifdef NO_RESTART_WAIT
#define W 0
#else
#define W M                 /* M(1 + rho) + eps local, at least M real */
#endif
#ifndef NB
#define NB 2                /* ballot numbers 1..NB per proposer life (at most 4) */
#endif
#ifndef S
#define S 2                 /* Propose rounds per ballot (at most 3) */
#endif
#ifndef ACRASH
#define ACRASH 1
#endif
#ifndef PCRASH
#define PCRASH 0
#endif
#define AGECAP (H+1)        /* a round this old can no longer grant anything */

/*
 * Ballots. k = 2(n-1) + j is proposer j's ballot number n (n = 1..NB). Its
 * value, for comparisons, is 3n + 1 + j; 3n is the floor ballot (n, "") a
 * restarted acceptor promises, below every (n, peer).
 */
#define NK (2*NB)
#define NOF(k) ((k)/2 + 1)
#define OWN(k) ((k)%2)
#define BV(k) (3*NOF(k) + 1 + OWN(k))
#define KOF(j) (2*(bn[j]-1) + (j))

#define IDLE 0
#define PREP 1
#define PROP 2
#define HOLD 3

/* Acceptors */
byte prom[NA];              /* promised ballot value; its floor survives a crash */
byte accB[NA];              /* k+1 of the live grant, 0 = none */
byte accLeft[NA];           /* real ticks left of that grant */
byte lastB[NA];             /* k+1 of the last accepted Propose (duplicate filter) */
byte lastS[NA];             /* and its round */
byte waitLeft[NA];          /* restart wait left */

/* Proposers */
byte ph[NP];
byte bn[NP];                /* ballot number in this life, 0 = none yet */
byte sq[NP];                /* Propose round of the ballot, 1..S */
byte age[NP];               /* ticks since the tSend of the current Propose round (capped) */
byte left[NP];              /* real ticks of trust left: holding while > 0 */
bool rnw[NP];               /* a renewal round is under way */

/* Network: the sets of messages sent */
byte prepSent;              /* bit k: Prepare(k) */
byte propSent[NK];          /* bit s: Propose(k, s) */
byte relSent;               /* bit k: Release(k) */
byte rep[NK*(S+1)];         /* acceptor bits of the ok replies to round (k, s); s = 0 is the Prepare */

/* History and fault budgets */
byte lastFence;
byte acr;
byte pcr;

hidden byte gk;
hidden byte gs;
hidden int ka;
hidden int kb;
hidden byte tb;

#define RI(k, s) ((k)*(S+1) + (s))
#define CNT(m) (((m)&1) + (((m)>>1)&1) + (((m)>>2)&1))
#ifdef VIEW_QUORUM
#define SEES(j, i) ((j) == 0 && (i) == 0 || (j) == 1 && (i) != 0)
#define QOK(j, m) ((j) == 0 && ((m)&1) || (j) == 1 && CNT((m)&6) == 2)
#else
#define SEES(j, i) true
#define QOK(j, m) (CNT(m) >= 2)
#endif
#define HOLDS(j) (left[j] > 0)
#ifdef I1_ONLY
#define CHECK_I2(x) skip
#else
#define CHECK_I2(x) x
#endif

#define TRACE(x) printf x

/*
 * Coverage: with -DCOVER=n the model asserts that goal n is NEVER reached,
 * so a counterexample proves that the behaviour is possible (the search is
 * not vacuous). 1: a proposer takes over from the other; 2: it does so
 * after an acceptor crash; 3: a release clears a grant; 4: a renewal
 * extends a tenure; 5: a proposer holds again after its own crash.
 */
#ifndef COVER
#define COVER 0
#endif
#define PREV_OWNER ((lastFence - 1) % 3)
#define COVER_GRANT(j) \
  assert(!(COVER == 1 && lastFence > 0 && PREV_OWNER != (j))); \
  assert(!(COVER == 2 && lastFence > 0 && PREV_OWNER != (j) && acr > 0)); \
  assert(!(COVER == 5 && pcr > 0 && lastFence > 0 && PREV_OWNER == (j)))
#define COVER_RENEWAL(j) assert(COVER != 4)

/*
 * Where proposer j stands in the order of its rounds (n, s) (s = 0 is the
 * Prepare): its current round, or just past the last one it finished.
 */
#define POS(j) (bn[j]*(S+2) + \
  (ph[j] == PREP -> 0 : (ph[j] == PROP || ph[j] == HOLD && rnw[j] -> sq[j] : (ph[j] == HOLD -> sq[j]+1 : S+1))))
#define RPOS(k, s) (NOF(k)*(S+2) + (s))
#ifdef OLD_LIFE_MESSAGES
#define USEFUL(k, s) (pcr < PCRASH || RPOS(k, s) >= POS(OWN(k)))
#else
#define USEFUL(k, s) (RPOS(k, s) >= POS(OWN(k)))
#endif

/*
 * Acceptor symmetry: the acceptors are interchangeable (every rule and both
 * properties treat them alike), so after every step they are sorted into a
 * canonical order, carrying their reply bits along. Off for VIEW_QUORUM,
 * whose views tell the acceptors apart.
 */
#define AKEY(i) ((prom[i] << 20) | (accB[i] << 16) | (accLeft[i] << 12) | (lastB[i] << 8) | (lastS[i] << 4) | waitLeft[i])
inline repcol(i, out) {
  out = 0; gk = 0;
  do
  :: gk < NK*(S+1) -> out = out*2 + ((rep[gk] >> i) & 1); gk++
  :: else -> break
  od;
  gk = 0
}
inline swapa(a, b) {
  tb = prom[a]; prom[a] = prom[b]; prom[b] = tb;
  tb = accB[a]; accB[a] = accB[b]; accB[b] = tb;
  tb = accLeft[a]; accLeft[a] = accLeft[b]; accLeft[b] = tb;
  tb = lastB[a]; lastB[a] = lastB[b]; lastB[b] = tb;
  tb = lastS[a]; lastS[a] = lastS[b]; lastS[b] = tb;
  tb = waitLeft[a]; waitLeft[a] = waitLeft[b]; waitLeft[b] = tb;
  gk = 0;
  do
  :: gk < NK*(S+1) ->
     if :: ((rep[gk] >> a) & 1) != ((rep[gk] >> b) & 1) -> rep[gk] = rep[gk] ^ ((1 << a) | (1 << b)) :: else fi;
     gk++
  :: else -> break
  od;
  gk = 0; tb = 0
}
inline cmpswap(a, b) {
  ka = AKEY(a); kb = AKEY(b);
  if :: ka == kb -> repcol(a, ka); repcol(b, kb) :: else fi;
  if :: ka > kb -> swapa(a, b) :: else fi;
  ka = 0; kb = 0
}
/*
 * A request no acceptor can act on any more is dropped: every acceptor has
 * promised above it (or, for a Propose, filters it as a duplicate) and
 * promises only rise. Not with NO_FLOOR_PERSIST, where they may fall.
 */
#define DEADP(k, i) (BV(k) < prom[i] || BV(k) == prom[i] && !USEFUL(k, 0))
#define DEADA(k, s, i) (BV(k) < prom[i] || BV(k) == prom[i] && lastB[i] == (k)+1 && (s) <= lastS[i])
inline msggc() {
#ifndef NO_FLOOR_PERSIST
  gk = 0;
  do
  :: gk < NK ->
     if :: DEADP(gk, 0) && DEADP(gk, 1) && DEADP(gk, 2) -> prepSent = prepSent & ~(1 << gk) :: else fi;
     gs = 1;
     do
     :: gs <= S ->
        if :: DEADA(gk, gs, 0) && DEADA(gk, gs, 1) && DEADA(gk, gs, 2) -> propSent[gk] = propSent[gk] & ~(1 << gs) :: else fi;
        gs++
     :: else -> break
     od;
     if :: propSent[gk] == 0 && accB[0] != gk+1 && accB[1] != gk+1 && accB[2] != gk+1 -> relSent = relSent & ~(1 << gk) :: else fi;
     gk++
  :: else -> break
  od;
  gk = 0; gs = 0
#else
  skip
#endif
}
#ifdef VIEW_QUORUM
#define canon() msggc()
#else
inline canon() { msggc(); cmpswap(0, 1); cmpswap(1, 2); cmpswap(0, 1) }
#endif

/* Drop the replies no proposer can use any more (their delivery would change nothing). */
inline gc() {
  gk = 0;
  do
  :: gk < NK ->
     gs = 0;
     do
     :: gs <= S -> if :: !USEFUL(gk, gs) -> rep[RI(gk, gs)] = 0 :: else fi; gs++
     :: else -> break
     od;
     gk++
  :: else -> break
  od;
  gk = 0; gs = 0;
  canon()
}

/* ---------------------------------------------------------------- acceptors */

/* Prepare(k): nack below the promise, busy while someone else's grant is live, else promise. */
#define RECV_PREP(i, k) \
  :: d_step { \
       k < NK && waitLeft[i] == 0 && SEES(OWN(k), i) && (prepSent >> (k)) & 1 && BV(k) >= prom[i] && \
       !(accLeft[i] > 0 && OWN(accB[i]-1) != OWN(k)) && \
       (BV(k) > prom[i] || USEFUL(k, 0) && !((rep[RI(k, 0)] >> (i)) & 1)) -> \
       prom[i] = BV(k); TRACE(("a%d promises %d\n", i, BV(k))); \
       if :: lastB[i] != (k)+1 -> lastB[i] = 0; lastS[i] = 0 :: else fi;   /* only the promised ballot's duplicates can matter */ \
       if :: USEFUL(k, 0) -> rep[RI(k, 0)] = rep[RI(k, 0)] | (1 << (i)) :: else fi; \
       canon() \
     }

/* Propose(k, s): nack below the promise, ignore a duplicate (same ballot, round not newer), else accept. */
#define RECV_PROP(i, k, s) \
  :: d_step { \
       k < NK && s <= S && waitLeft[i] == 0 && SEES(OWN(k), i) && (propSent[k] >> (s)) & 1 && BV(k) >= prom[i] && \
       !(lastB[i] == (k)+1 && (s) <= lastS[i]) -> \
       prom[i] = BV(k); accB[i] = (k)+1; accLeft[i] = M-1; lastB[i] = (k)+1; lastS[i] = s; \
       TRACE(("a%d accepts %d round %d\n", i, BV(k), s)); \
       if :: USEFUL(k, s) -> rep[RI(k, s)] = rep[RI(k, s)] | (1 << (i)) :: else fi; \
       canon() \
     }

/* Release(k): forget the grant if it is that ballot's. */
#define RECV_REL(i, k) \
  :: d_step { \
       k < NK && waitLeft[i] == 0 && (relSent >> (k)) & 1 && accB[i] == (k)+1 -> \
       accB[i] = 0; accLeft[i] = 0; TRACE(("a%d releases %d\n", i, BV(k))); assert(COVER != 3); canon() \
     }

#if S >= 3
#define RECV_PROP3(i, k) RECV_PROP(i, k, 3)
#else
#define RECV_PROP3(i, k)
#endif
#define RECV_BALLOT(i, k) RECV_PREP(i, k) RECV_PROP(i, k, 1) RECV_PROP(i, k, 2) RECV_PROP3(i, k) RECV_REL(i, k)

proctype Acceptor(byte i) {
end:
  do
  RECV_BALLOT(i, 0) RECV_BALLOT(i, 1)
#if NB >= 2
  RECV_BALLOT(i, 2) RECV_BALLOT(i, 3)
#endif
#if NB >= 3
  RECV_BALLOT(i, 4) RECV_BALLOT(i, 5)
#endif
#if NB >= 4
  RECV_BALLOT(i, 6) RECV_BALLOT(i, 7)
#endif
  :: d_step {   /* crash and restart: memory is lost, the persisted floor is kept */
       acr < ACRASH ->
       acr++; TRACE(("a%d crashes\n", i));
       accB[i] = 0; accLeft[i] = 0; lastB[i] = 0; lastS[i] = 0;
#ifdef NO_FLOOR_PERSIST
       prom[i] = 0;
#else
       if :: prom[i] % 3 != 0 -> prom[i] = 3*(prom[i]/3 + 1) :: else fi;   /* (n, peer) -> floor (n+1, "") */
#endif
       waitLeft[i] = W;
       canon()
     }
  od
}

/* ---------------------------------------------------------------- proposers */

#define ACQUIRE(j, n) \
  :: d_step { \
       n <= NB && ph[j] == IDLE && bn[j] < n -> \
       bn[j] = n; ph[j] = PREP; prepSent = prepSent | (1 << KOF(j)); \
       TRACE(("P%d prepares %d\n", j, BV(KOF(j)))); gc() \
     }

/* A majority of promises: read tSend, then send Propose (round 1, or later with SHARED_SEQ). */
#ifdef SHARED_SEQ
#define FIRST(s) (s <= S)
#else
#define FIRST(s) (s == 1)
#endif
#define PROPOSE(j, s) \
  :: d_step { \
       FIRST(s) && ph[j] == PREP && QOK(j, rep[RI(KOF(j), 0)]) -> \
       ph[j] = PROP; sq[j] = s; age[j] = 0; propSent[KOF(j)] = propSent[KOF(j)] | (1 << (s)); \
       TRACE(("P%d proposes %d round %d\n", j, BV(KOF(j)), s)); gc() \
     }

/* A majority of accepts: hold until tSend + h (real ticks), if that is still ahead. */
#ifdef TIMER_ON_ACK
#define VALID(h, j) (h)
#else
#define VALID(h, j) ((h) - age[j])
#endif
#define GRANT(j, h) \
  :: d_step { \
       ph[j] == PROP && QOK(j, rep[RI(KOF(j), sq[j])]) -> \
       if \
       :: VALID(h, j) > 0 -> \
          TRACE(("P%d holds %d for %d\n", j, BV(KOF(j)), VALID(h, j))); \
          CHECK_I2(assert(BV(KOF(j)) > lastFence));  /* I2 */ \
          COVER_GRANT(j); \
          lastFence = BV(KOF(j)); left[j] = VALID(h, j); ph[j] = HOLD \
       :: else -> ph[j] = IDLE; sq[j] = 0 \
       fi; \
       age[j] = 0; gc() \
     }
/* A majority for a renewal round: validUntil = max(validUntil, tSend + h). */
#define RENEWED(j, h) \
  :: d_step { \
       ph[j] == HOLD && rnw[j] && QOK(j, rep[RI(KOF(j), sq[j])]) -> \
       if :: VALID(h, j) > left[j] -> COVER_RENEWAL(j); left[j] = VALID(h, j) :: else fi; \
       TRACE(("P%d renewed %d: %d left\n", j, BV(KOF(j)), left[j])); \
       rnw[j] = false; age[j] = 0; gc() \
     }

proctype Proposer(byte j) {
end:
  do
  ACQUIRE(j, 1)
#if NB >= 2
  ACQUIRE(j, 2)
#endif
#if NB >= 3
  ACQUIRE(j, 3)
#endif
#if NB >= 4
  ACQUIRE(j, 4)
#endif
  PROPOSE(j, 1)
#if defined(SHARED_SEQ) && S >= 2
  PROPOSE(j, 2)
#endif
#if defined(SHARED_SEQ) && S >= 3
  PROPOSE(j, 3)
#endif
  GRANT(j, H) GRANT(j, H+1)
  :: d_step {   /* renew: same ballot, next round, tSend read before sending */
       ph[j] == HOLD && !rnw[j] && HOLDS(j) && sq[j] < S ->
       sq[j]++; rnw[j] = true; age[j] = 0; propSent[KOF(j)] = propSent[KOF(j)] | (1 << sq[j]);
       TRACE(("P%d renews %d round %d\n", j, BV(KOF(j)), sq[j]))
     }
  RENEWED(j, H) RENEWED(j, H+1)
  :: d_step {   /* expire (a renewal majority may still arrive before this step, as in the code) */
       ph[j] == HOLD && !HOLDS(j) -> ph[j] = IDLE; sq[j] = 0; rnw[j] = false; age[j] = 0; gc()
     }
  :: d_step { ph[j] == PREP || ph[j] == PROP -> ph[j] = IDLE; sq[j] = 0; age[j] = 0; gc() }   /* give the round up */
  :: d_step { rnw[j] -> rnw[j] = false; age[j] = 0; gc() }                                     /* give the renewal up */
  :: d_step {   /* release: stop holding, then tell the acceptors */
       ph[j] == HOLD ->
       TRACE(("P%d releases %d\n", j, BV(KOF(j))));
       ph[j] = IDLE; left[j] = 0; sq[j] = 0; rnw[j] = false; age[j] = 0;
       relSent = relSent | (1 << KOF(j)); gc()
     }
  :: d_step {   /* crash and restart: everything is forgotten, ballot numbers start again at 1 */
       pcr < PCRASH ->
       pcr++; TRACE(("P%d crashes\n", j));
       ph[j] = IDLE; bn[j] = 0; sq[j] = 0; age[j] = 0; left[j] = 0; rnw[j] = false;
#ifndef OLD_LIFE_MESSAGES
       gk = j;   /* its links die with it: what it sent, or was sent, and is still in flight is lost */
       do
       :: gk < NK ->
          prepSent = prepSent & ~(1 << gk); relSent = relSent & ~(1 << gk); propSent[gk] = 0;
          gs = 0;
          do
          :: gs <= S -> rep[RI(gk, gs)] = 0; gs++
          :: else -> break
          od;
          gk = gk + 2
       :: else -> break
       od;
#endif
       gc()
     }
  od
}

/* ---------------------------------------------------------------- properties */

/* I1, checked in every reachable state: blocked (adding no states) until two proposers hold at once. */
active proctype Exclusive() {
end:
  atomic { HOLDS(0) && HOLDS(1) -> assert(false) }
}


/* ---------------------------------------------------------------- time */

/* One tick of true time: every timer moves; an expired grant is forgotten (it answers busy no more). */
active proctype Clock() {
end:
  do
  :: d_step {
       TRACE(("tick\n"));
       gk = 0;
       do
       :: gk < NP ->
          if :: left[gk] > 0 -> left[gk]-- :: else fi;
          if :: (ph[gk] == PROP || rnw[gk]) && age[gk] < AGECAP -> age[gk]++ :: else fi;
          gk++
       :: else -> break
       od;
       gk = 0;
       do
       :: gk < NA ->
          if :: accLeft[gk] > 0 -> accLeft[gk]--; if :: accLeft[gk] == 0 -> accB[gk] = 0 :: else fi :: else fi;
          if :: waitLeft[gk] > 0 -> waitLeft[gk]-- :: else fi;
          gk++
       :: else -> break
       od;
       gk = 0;
       canon()
     }
  od
}

init {
  atomic {
    run Acceptor(0); run Acceptor(1); run Acceptor(2);
    run Proposer(0); run Proposer(1)
  }
}
