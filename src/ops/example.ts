// An example value for a JSON Schema, to prefill the /docs page and the
// OpenAPI `example`: the schema's own example or default when it has one,
// otherwise a placeholder of the right type. Not a generator of valid data
// for every schema; a starting point a person edits.

type Schema = Record<string, unknown>

/** Deep enough for any real action input. */
const DEPTH_MAX = 8

/** `resolve` finds the target of a `$ref`; a ref already being expanded (a recursive schema) gives null, or [] in a list. */
export function exampleOf(schema: unknown, resolve: (ref: string) => unknown = () => undefined, depth = 0, expanding: readonly string[] = []): unknown {
  if (typeof schema !== 'object' || schema === null || depth > DEPTH_MAX) return null
  const s = schema as Schema
  const recurse = (sub: unknown): unknown => exampleOf(sub, resolve, depth + 1, expanding)
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0]
  if ('example' in s) return s.example
  if ('default' in s) return s.default
  if ('const' in s) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  if (typeof s.$ref === 'string') return expanding.includes(s.$ref) ? null : exampleOf(resolve(s.$ref), resolve, depth + 1, [...expanding, s.$ref])
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = s[key]
    if (Array.isArray(options) && options.length > 0) {
      const firstNonNull = options.find(o => (o as Schema | null)?.type !== 'null') ?? options[0]
      return recurse(firstNonNull)
    }
  }
  const type = Array.isArray(s.type) ? (s.type as unknown[]).find(t => t !== 'null') : s.type
  switch (type) {
    case 'object': return objectExample(s, recurse)
    case 'array': return arrayExample(s, recurse, expanding)
    case 'string': return stringExample(s)
    case 'number': return typeof s.minimum === 'number' ? s.minimum : 0
    case 'integer': return typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 0
    case 'boolean': return false
    case 'null': return null
    default: return s.properties === undefined ? null : objectExample(s, recurse)
  }
}

function objectExample(s: Schema, recurse: (sub: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const properties = (s.properties ?? {}) as Record<string, unknown>
  for (const [key, value] of Object.entries(properties)) out[key] = recurse(value)
  return out
}

function arrayExample(s: Schema, recurse: (sub: unknown) => unknown, expanding: readonly string[]): unknown[] {
  const items = s.items as Schema | undefined
  if (items === undefined || (typeof items.$ref === 'string' && expanding.includes(items.$ref))) return []
  return [recurse(items)]
}

function stringExample(s: Schema): string {
  switch (s.format) {
    case 'email': return 'user@example.com'
    case 'uri':
    case 'url': return 'https://example.com'
    case 'uuid': return '00000000-0000-4000-8000-000000000000'
    case 'date-time': return '2024-01-01T00:00:00Z'
    case 'date': return '2024-01-01'
    default: {
      const min = typeof s.minLength === 'number' ? s.minLength : 0
      return 'string'.padEnd(min, 'x')
    }
  }
}
