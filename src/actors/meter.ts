// What the actor plane reports for metrics, as a small port (the peer passes
// one backed by its Prometheus registry). Labels are actor types, never keys.

export interface ActorMeter {
  /** A counter of messages accepted for actors of `type`, fetched once per type so each message costs one call. */
  messages(type: string): () => void
}

const nothing = (): void => {}

export const noActorMeter: ActorMeter = {
  messages: () => nothing,
}
