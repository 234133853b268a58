// Limits of the HTTP layer, each overridable through createHttpApp's options.

/** Largest request body read (1 MiB): actions take parameters, not uploads. */
export const BODY_BYTES_MAX_DEFAULT = 1024 * 1024

/**
 * Largest POST /tasks body read (4 MiB): a batch may carry ENQUEUE_MANY_BYTES_MAX (1 MiB) of inputs encoded
 * with msgpack, which JSON spells longer. The admin routes are not overridable through createHttpApp.
 */
export const TASKS_BODY_BYTES_MAX = 4 * 1024 * 1024

/**
 * Deepest JSON nesting accepted. Validators and JSON.stringify recurse, so a
 * 1 MiB body of `[[[[...` could overflow the stack; real inputs are shallow.
 */
export const JSON_DEPTH_MAX_DEFAULT = 64

/** How long an action may run before the client gets 504 and ctx.signal fires. */
export const ACTION_TIMEOUT_MS_DEFAULT = 30_000

/** A client-sent request id is echoed only if it is short and plain, so it is safe in logs and headers. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/

export const REQUEST_ID_HEADER = 'x-request-id'
export const VERSION_HEADER = 'x-troupe-version'
