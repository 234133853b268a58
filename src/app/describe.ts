// The `GET /api` listing: each action's name, description and, when the
// schema can say so, its input as JSON Schema.
import { toJSONSchema, type ZodType } from 'zod'
import type { Action } from './action.js'

export interface ActionDescription {
  name: string
  description?: string
  methods: Array<'GET' | 'POST'>
  input?: unknown
}

export function describeAction(action: Action): ActionDescription {
  const out: ActionDescription = { name: action.name, methods: action.get ? ['GET', 'POST'] : ['POST'] }
  if (action.description !== undefined) out.description = action.description
  const input = inputJsonSchema(action.input)
  if (input !== undefined) out.input = input
  return out
}

/** JSON Schema of what the client sends; only zod 4 schemas (they carry `_zod`) know how to say. */
export function inputJsonSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || !('_zod' in schema)) return undefined
  try {
    return toJSONSchema(schema as ZodType, { io: 'input', unrepresentable: 'any' })
  } catch {
    // Some zod features (cycles without ids, custom types) have no JSON Schema; the listing omits it.
    return undefined
  }
}
