// The OpenAPI 3.1 document of a peer's HTTP API, built from the actions'
// input schemas, and the routes that serve it: `GET /openapi.json` and the
// self-contained page `GET /docs`.

import type { Env, Hono } from 'hono'
import type { Action } from '../app/action.js'
import { inputJsonSchema } from '../app/describe.js'
import { exampleOf } from '../ops/example.js'
import { ERROR_SCHEMA, HEALTH_SCHEMA, hoistSchema, STATUS_SCHEMA, type JsonSchema } from '../ops/openapi-schemas.js'
import { renderDocsPage } from './docs-page.js'

export type OpenApiDocument = JsonSchema & {
  openapi: string
  info: { title: string, version: string, description?: string }
  paths: Record<string, Record<string, JsonSchema>>
  components: { schemas: Record<string, JsonSchema>, responses: Record<string, JsonSchema> }
}

export interface OpenApiInit {
  actions: readonly Action[]
  version: string
  /** Default `troupe`. */
  title?: string
  description?: string
}

/** What each error status means, as the HTTP layer answers it (see src/http/README.md). */
export const ERROR_STATUSES: Readonly<Record<string, string>> = {
  400: 'Malformed JSON, or an ActionError with its default status',
  404: 'No such action',
  413: 'The body is over the size limit',
  415: 'The body is not JSON',
  422: 'The input does not match the schema; `fields` lists the failures',
  500: 'The action failed; `id` finds the stack in the peer log',
  503: 'The peer is stopping',
  504: 'The action ran past its timeout',
}
const POST_ERRORS = ['400', '404', '413', '415', '422', '500', '503', '504']
const GET_ERRORS = ['400', '404', '422', '500', '503', '504']
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean'])

export function buildOpenApi(init: OpenApiInit): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = { Error: ERROR_SCHEMA, Status: STATUS_SCHEMA, Health: HEALTH_SCHEMA }
  const responses: Record<string, JsonSchema> = {}
  for (const [status, description] of Object.entries(ERROR_STATUSES)) {
    responses[`Error${status}`] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
  }
  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: { title: init.title ?? 'troupe', version: init.version, ...(init.description === undefined ? {} : { description: init.description }) },
    paths: { ...fixedPaths() },
    components: { schemas, responses },
  }
  const resolve = (ref: string): unknown => schemas[ref.replace('#/components/schemas/', '')]
  for (const action of init.actions) {
    const input = inputJsonSchema(action.input) as JsonSchema | undefined
    const ref = input === undefined ? undefined : `#/components/schemas/${hoistSchema(`${action.name}.input`, input, schemas)}`
    const schema = ref === undefined ? {} : { $ref: ref }
    const item: Record<string, JsonSchema> = {
      post: operation(action, 'post', POST_ERRORS, {
        requestBody: { required: false, content: { 'application/json': { schema, example: exampleOf(schema, resolve) } } },
      }),
    }
    const parameters = action.get && input !== undefined ? queryParameters(input) : undefined
    if (parameters !== undefined) item.get = operation(action, 'get', GET_ERRORS, { parameters })
    doc.paths[`/api/${action.name}`] = item
  }
  return doc
}

function operation(action: Action, method: string, errors: string[], extra: JsonSchema): JsonSchema {
  const out: JsonSchema = { operationId: `${method}:${action.name}`, tags: ['actions'], summary: action.description ?? action.name, ...extra }
  const answers: Record<string, JsonSchema> = { 200: { description: 'The action output (JSON; `null` when it returns nothing)', content: { 'application/json': { schema: {} } } } }
  for (const status of errors) answers[status] = { $ref: `#/components/responses/Error${status}` }
  out.responses = answers
  return out
}

/** GET takes the query as strings: documented only for object inputs whose fields are scalars or lists of scalars. */
function queryParameters(input: JsonSchema): JsonSchema[] | undefined {
  if (input.type !== 'object' || input.$defs !== undefined) return undefined
  const properties = (input.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set(Array.isArray(input.required) ? input.required as string[] : [])
  const params: JsonSchema[] = []
  for (const [name, schema] of Object.entries(properties)) {
    if (!isScalar(schema) && !(schema.type === 'array' && isScalar(schema.items as JsonSchema | undefined))) return undefined
    params.push({ name, in: 'query', required: required.has(name), schema, ...(typeof schema.description === 'string' ? { description: schema.description } : {}) })
  }
  return params
}

function isScalar(schema: JsonSchema | undefined): boolean {
  if (schema === undefined) return false
  if (typeof schema.type === 'string') return SCALAR_TYPES.has(schema.type)
  if (Array.isArray(schema.type)) return schema.type.every(t => SCALAR_TYPES.has(t as string) || t === 'null')
  if (Array.isArray(schema.enum)) return schema.enum.every(v => v === null || typeof v !== 'object')
  return false
}

function fixedPaths(): Record<string, Record<string, JsonSchema>> {
  const json = (ref: string, description: string): JsonSchema => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } })
  return {
    '/status': { get: { operationId: 'status', tags: ['peer'], summary: 'This peer and the members it sees', responses: { 200: json('Status', 'The peer status') } } },
    '/health': {
      get: {
        operationId: 'health', tags: ['peer'], summary: 'Whether this peer is healthy',
        responses: { 200: json('Health', 'Healthy'), 503: json('Health', 'Not healthy, or stopping') },
      },
    },
  }
}

/** Serves `GET /openapi.json` and `GET /docs`. `getDoc` is called per request; build the document once and return it. */
export function openApiRoutes<E extends Env>(app: Hono<E>, getDoc: () => OpenApiDocument): Hono<E> {
  const pages = new WeakMap<OpenApiDocument, string>()
  app.get('/openapi.json', (c) => c.json(getDoc()))
  app.get('/docs', (c) => {
    const doc = getDoc()
    let page = pages.get(doc)
    if (page === undefined) {
      page = renderDocsPage(doc)
      pages.set(doc, page)
    }
    c.header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
    return c.html(page)
  })
  return app
}
