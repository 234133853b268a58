// The OpenAPI document built from the actions, and the /docs page, seen
// through app.request().
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAction } from '../../src/app/action.js'
import { buildOpenApi, type OpenApiDocument } from '../../src/http/openapi.js'
import { ACTIONS, opsApp } from './fixtures.js'

interface Op {
  requestBody: { content: Record<string, { schema: { $ref?: string }, example: unknown }> }
  responses: Record<string, { $ref: string }>
  parameters?: unknown[]
}
const op = (doc: OpenApiDocument, path: string, method: 'get' | 'post'): Op => doc.paths[path]![method] as unknown as Op
interface ResponseObject { content: Record<string, { schema: unknown }> }
interface ErrorSchema { properties: { error: { required: string[], properties: Record<string, unknown> } } }

/** Every `$ref` in the document, with where it was found. */
function refsOf(value: unknown, at = '#', out: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(value)) value.forEach((v, i) => refsOf(v, `${at}/${i}`, out))
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push([at, v])
      else refsOf(v, `${at}/${k}`, out)
    }
  }
  return out
}

function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined
  return ref.slice(2).split('/').map(p => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce<unknown>(
    (node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), doc)
}

async function served(): Promise<OpenApiDocument> {
  const res = await opsApp().request('/openapi.json')
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  return await res.json() as OpenApiDocument
}

describe('buildOpenApi', () => {
  it('is an OpenAPI 3.1 document whose every path has operations and every ref resolves', async () => {
    const doc = await served()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info).toEqual({ title: 'test-app', version: '9.9.9' })
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/boom', '/api/math.add', '/api/tree', '/api/users:greet', '/health', '/status'])
    for (const [path, item] of Object.entries(doc.paths)) {
      const ops = Object.keys(item).filter(k => ['get', 'post'].includes(k))
      expect(ops.length, path).toBeGreaterThan(0)
      for (const op of ops) expect(Object.keys((item[op] as { responses: object }).responses), `${path} ${op}`).toContain('200')
    }
    const refs = refsOf(doc)
    expect(refs.length).toBeGreaterThan(10)
    for (const [at, ref] of refs) expect(resolvePointer(doc, ref), `${ref} at ${at}`).toBeDefined()
    const ids = Object.values(doc.paths).flatMap(item => Object.values(item).map(op => op.operationId))
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('POST takes the JSON schema with an example; errors share the Error schema', () => {
    const doc = buildOpenApi({ actions: ACTIONS, version: '1.0.0' })
    const post = op(doc, '/api/math.add', 'post')
    const ref = post.requestBody.content['application/json']!.schema.$ref!
    expect(resolvePointer(doc, ref)).toEqual({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number', default: 1 } },
      required: ['a'],
    })
    expect(post.requestBody.content['application/json']!.example).toEqual({ a: 0, b: 1 })
    for (const status of ['400', '404', '413', '415', '422', '500', '504']) {
      const response = resolvePointer(doc, post.responses[status]!.$ref) as ResponseObject
      expect(response.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/Error' })
    }
    const error = doc.components.schemas.Error as unknown as ErrorSchema
    expect(error.properties.error.required).toEqual(['name', 'message', 'code', 'retryable'])
    expect(Object.keys(error.properties.error.properties)).toEqual(expect.arrayContaining(['id', 'fields']))
  })

  it('GET has query parameters for scalar object inputs only, and never for get: false', () => {
    const doc = buildOpenApi({ actions: ACTIONS, version: '1.0.0' })
    const get = op(doc, '/api/math.add', 'get')
    expect(get.parameters).toEqual([
      { name: 'a', in: 'query', required: true, schema: { type: 'number' } },
      { name: 'b', in: 'query', required: false, schema: { type: 'number', default: 1 } },
    ])
    expect(doc.paths['/api/users:greet']!.get).toBeUndefined()
    expect(doc.paths['/api/tree']!.get).toBeUndefined()
    expect(doc.paths['/api/boom']!.get).toMatchObject({ parameters: [] })
  })

  it('moves recursive schemas into components, with valid names', () => {
    const doc = buildOpenApi({ actions: ACTIONS, version: '1.0.0' })
    const names = Object.keys(doc.components.schemas)
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9._-]+$/)
    expect(names).toContain('users_greet.input')
    expect(JSON.stringify(doc)).not.toContain('#/$defs/')
    expect(JSON.stringify(doc)).not.toContain('"$schema"')
  })

  it('leaves the body schema open for inputs that have no JSON Schema', () => {
    const custom = defineAction({ name: 'raw', input: { '~standard': { version: 1, vendor: 'x', validate: (value: unknown) => ({ value }) } }, run: () => 1 })
    const doc = buildOpenApi({ actions: [custom, defineAction({ name: 'x', input: z.unknown(), run: () => 1 })], version: '1' })
    expect(op(doc, '/api/raw', 'post').requestBody.content['application/json']!.schema).toEqual({})
    expect(doc.paths['/api/raw']!.get).toBeUndefined()
  })
})

describe('GET /docs', () => {
  it('is a self-contained HTML page listing every action with an example body and a Send button', async () => {
    const res = await opsApp().request('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await res.text()
    for (const action of ACTIONS) expect(html).toContain(`data-action="${action.name}"`)
    expect(html).toContain('&#34;a&#34;: 0')
    expect(html).toContain('<button type="button">Send</button>')
    // No external asset: nothing loads from another origin.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(html).not.toMatch(/<script[^>]+src=/)
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1]
    expect(script).toContain("fetch('api/' + encodeURIComponent(name)")
    expect(() => new Function(script!)).not.toThrow() // it parses; it runs only in a browser
  })

  it('escapes what it shows', async () => {
    const sneaky = defineAction({ name: 'x', description: '<img src=x onerror=alert(1)>', input: z.object({ s: z.string().default('</textarea><script>') }), run: () => 1 })
    const html = await (await opsApp(undefined, [sneaky]).request('/docs')).text()
    expect(html).not.toContain('<img src=x')
    expect(html).not.toContain('</textarea><script>')
  })

  it('the example body it offers is accepted by the action', async () => {
    const app = opsApp()
    const doc = await (await app.request('/openapi.json')).json() as OpenApiDocument
    const example = op(doc, '/api/math.add', 'post').requestBody.content['application/json']!.example
    const res = await app.request('/api/math.add', { method: 'POST', body: JSON.stringify(example), headers: { 'content-type': 'application/json' } })
    expect(await res.json()).toEqual({ sum: 1 })
  })
})

describe('examples', () => {
  it('a recursive schema gives a small example, not a deep one', () => {
    const doc = buildOpenApi({ actions: ACTIONS, version: '1' })
    expect(op(doc, '/api/tree', 'post').requestBody.content['application/json']!.example).toEqual({
      root: { name: 'string', children: [] },
      spare: { name: 'string', children: [] },
    })
    expect(op(doc, '/api/users:greet', 'post').requestBody.content['application/json']!.example).toEqual({ user: { name: 'string' }, tags: ['string'] })
  })
})
