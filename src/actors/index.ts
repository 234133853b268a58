// The actor plane's public surface: definitions, the system, the placement
// interfaces the peer provides, addresses, limits and errors.
export { defineActor, type ActorContext, type ActorContextBase, type ActorContextExtensions, type ActorDefinition, type ActorInit, type Actors, type DeactivateReason, type SendOptions } from './define.js'
export { ActorSystem, type ActorSystemComponents } from './system.js'
export type { TypeStats } from './host.js'
export type { ActorLimits, ActorSystemInit } from './options.js'
export type { HolderDirectory, Successors } from './placement.js'
export { stringFenceOrder, type FenceOrder } from './state-store.js'
export { actorAddress, parseAddress, ADDRESS_LENGTH_MAX, type ActorAddress } from './address.js'
export {
  ActorDeadlockError, ActorMovedError, ActorPayloadTooLargeError, ActorStateUnavailableError, ActorSystemStoppedError, InvalidAddressError, MailboxFullError, UnknownActorError, UnknownHandlerError,
} from './errors.js'
export * from './constants.js'
