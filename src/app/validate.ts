// Runs a Standard Schema and turns its issues into field errors.
import { ValidationError, type FieldIssue } from './errors.js'
import type { InferOutput, StandardIssue, StandardSchemaV1 } from './standard-schema.js'
import { describeValue } from '../util/describe.js'

export async function validateInput<S extends StandardSchemaV1>(schema: S, raw: unknown): Promise<InferOutput<S>> {
  const result = await schema['~standard'].validate(raw)
  if (result.issues !== undefined) throw new ValidationError(result.issues.map(toFieldIssue))
  return result.value as InferOutput<S>
}

function toFieldIssue(issue: StandardIssue): FieldIssue {
  const path = (issue.path ?? []).map((segment) => {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment
    // Symbols cannot travel as JSON; their description is the best we can show.
    return typeof key === 'number' || typeof key === 'string' ? key : String(key)
  })
  return { path, message: issue.message }
}

/** validateInput, but synchronous when the schema is (zod without async refinements): a value, or a promise of it. */
export function validateNow<S extends StandardSchemaV1>(schema: S, raw: unknown): InferOutput<S> | Promise<InferOutput<S>> {
  const result = schema['~standard'].validate(raw)
  return result instanceof Promise ? result.then(checked) : checked(result)
}

function checked<T>(result: { value?: unknown, issues?: readonly StandardIssue[] }): T {
  if (result.issues !== undefined) throw new ValidationError(result.issues.map(toFieldIssue))
  return result.value as T
}

/**
 * A call's own deadline (the `timeoutMs` of ask, tell, enqueue, ...): `fallback` when absent, else a finite number
 * of ms >= 0. Anything else is a ValidationError naming it: NaN, a negative number or a string made a deadline
 * that had already passed (the call failed as if its target could not be reached), and Infinity one that a remote
 * peer refused as malformed.
 */
export function callTimeoutMs(value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError([{ path: ['timeoutMs'], message: `must be a finite number of ms >= 0, got ${describeValue(value)}` }])
  }
  return value
}
