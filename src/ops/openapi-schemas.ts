// Schemas the OpenAPI document shares, and the move of each action's input
// schema into `components.schemas`. zod writes refs relative to its own
// document (`#`, `#/$defs/X`); inside the OpenAPI document they would point
// at the wrong place, so they are rewritten to component refs.

export type JsonSchema = Record<string, unknown>

/** Component names may hold only these characters (OpenAPI 3.1, Components Object). */
const COMPONENT_NAME_INVALID = /[^A-Za-z0-9._-]/g

export const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['name', 'message', 'code', 'retryable'],
      properties: {
        name: { type: 'string', examples: ['ValidationError'] },
        message: { type: 'string' },
        code: { type: 'string', examples: ['ERR_VALIDATION'] },
        retryable: { type: 'boolean' },
        id: { type: 'string', description: 'On 5xx: the id logged with the stack on the peer.' },
        fields: {
          type: 'array',
          description: 'On 422: the failing fields.',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'array', items: { type: ['string', 'integer'] } }, message: { type: 'string' } },
          },
        },
        details: { description: 'Whatever the thrown TroupeError or ActionError carried.' },
      },
    },
  },
}

const MEMBER_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['id', 'state', 'self', 'incarnation', 'addrs', 'httpUrl', 'version', 'stateForMs'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['alive', 'suspect', 'dead', 'left'] },
    self: { type: 'boolean' },
    incarnation: { type: 'integer' },
    addrs: { type: 'array', items: { type: 'string' } },
    httpUrl: { type: ['string', 'null'] },
    hosts: { type: 'object', properties: { actors: { type: 'array', items: { type: 'string' } }, tasks: { type: 'array', items: { type: 'string' } } } },
    version: { type: 'string' },
    stateForMs: { type: 'integer' },
  },
}

export const STATUS_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    peer: {
      type: 'object',
      properties: { id: { type: 'string' }, incarnation: { type: 'integer' }, addrs: { type: 'array', items: { type: 'string' } }, httpUrl: { type: ['string', 'null'] } },
    },
    app: { type: 'string' },
    version: { type: 'string' },
    uptimeMs: { type: 'integer' },
    members: { type: 'array', items: MEMBER_SCHEMA },
  },
}

export const HEALTH_SCHEMA: JsonSchema = { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } }

/** A component name for `wanted` that is valid and not yet in `taken`. */
export function componentName(wanted: string, taken: Record<string, unknown>): string {
  const base = wanted.replace(COMPONENT_NAME_INVALID, '_')
  let name = base
  for (let i = 2; name in taken; i++) name = `${base}_${i}`
  return name
}

/**
 * Puts `schema` into `schemas` under a fresh name (its `$defs` beside it) and
 * returns that name. `$schema` is dropped: OpenAPI 3.1 defaults to 2020-12.
 */
export function hoistSchema(wanted: string, schema: JsonSchema, schemas: Record<string, JsonSchema>): string {
  const name = componentName(wanted, schemas)
  const { $schema: _dialect, $defs, ...root } = schema
  const defNames = new Map<string, string>()
  schemas[name] = {} // reserve it, so defs cannot take the name
  for (const def of Object.keys(($defs ?? {}) as JsonSchema)) {
    const defName = componentName(`${name}.${def}`, schemas)
    defNames.set(def, defName)
    schemas[defName] = {}
  }
  const rewrite = (ref: string): string => {
    if (ref === '#') return `#/components/schemas/${name}`
    const def = ref.startsWith('#/$defs/') ? defNames.get(ref.slice('#/$defs/'.length)) : undefined
    return def === undefined ? ref : `#/components/schemas/${def}`
  }
  schemas[name] = rewriteRefs(root, rewrite) as JsonSchema
  for (const [def, defName] of defNames) schemas[defName] = rewriteRefs(($defs as JsonSchema)[def], rewrite) as JsonSchema
  return name
}

function rewriteRefs(value: unknown, rewrite: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map(v => rewriteRefs(v, rewrite))
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' ? rewrite(v) : rewriteRefs(v, rewrite)
  return out
}
