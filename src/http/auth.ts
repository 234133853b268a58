// Bearer tokens on a peer's HTTP routes.
//   Admin routes (ADMIN_PATHS: every /tasks route, listing included since task
//   inputs may hold data, and the test-only /_faults switch) need
//   `Authorization: Bearer <admin token>`. With no admin token configured they
//   are answered only when the server listens on a loopback address, and
//   refused (403) otherwise.
//   Actions (/api/<name>) need the action token, or the admin token, when an
//   action token is configured; GET /api (the listing) stays open, like
//   /openapi.json, /health, /status, /metrics and the dashboard's read-only feed.
// Register with protectRoutes() before the routes it protects.

import { createHash, timingSafeEqual } from 'node:crypto'
import type { Env, Hono, MiddlewareHandler } from 'hono'
import { ConfigError } from '../errors.js'
import { ForbiddenError, UnauthorizedError } from './errors.js'

/** Shorter tokens are guessable; the same floor as the cluster secret. */
export const TOKEN_CHARS_MIN = 16

export const ADMIN_PATHS = ['/tasks', '/tasks/*', '/_faults/*'] as const

export interface HttpAuth {
  /** Required on admin routes; without it they are served on loopback only. */
  adminToken?: string
  /** When set, required on actions (the admin token works too). */
  actionToken?: string
  /** The server listens on a loopback address only (or not at all). */
  loopback: boolean
}

/** Throws a ConfigError naming `field` when a configured token is too short. */
export function checkToken(field: string, token: string | undefined): void {
  if (token === undefined) return
  if (typeof token !== 'string' || token.trim().length < TOKEN_CHARS_MIN) {
    throw new ConfigError(`${field}: the token must be at least ${TOKEN_CHARS_MIN} characters`)
  }
}

/** 127.0.0.0/8, ::1 and `localhost`: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

export function protectRoutes<E extends Env>(app: Hono<E>, auth: HttpAuth): void {
  checkToken('adminToken', auth.adminToken)
  checkToken('actionToken', auth.actionToken)
  const admin = requireAdmin(auth)
  for (const path of ADMIN_PATHS) app.use(path, admin)
  if (auth.actionToken !== undefined) app.use('/api/*', requireActionToken(auth))
}

export function requireAdmin(auth: HttpAuth): MiddlewareHandler {
  return async (c, next) => {
    if (auth.adminToken === undefined) {
      if (!auth.loopback) throw new ForbiddenError('admin routes need an admin token: start the peer with TROUPE_ADMIN_TOKEN or --admin-token-file (without one they are served on a loopback address only)')
      return next()
    }
    if (!matches(c.req.header('authorization'), [auth.adminToken])) {
      c.header('www-authenticate', 'Bearer realm="troupe-admin"')
      throw new UnauthorizedError('this route needs the admin token: send Authorization: Bearer <token>')
    }
    return next()
  }
}

export function requireActionToken(auth: HttpAuth): MiddlewareHandler {
  const accepted = [auth.actionToken, auth.adminToken].filter((t): t is string => t !== undefined)
  return async (c, next) => {
    if (c.req.path === '/api' || c.req.path === '/api/') return next()
    if (!matches(c.req.header('authorization'), accepted)) {
      c.header('www-authenticate', 'Bearer realm="troupe-actions"')
      throw new UnauthorizedError('actions need the action token: send Authorization: Bearer <token>')
    }
    return next()
  }
}

/** Constant-time: both sides are hashed to equal lengths before comparing. */
function matches(header: string | undefined, tokens: readonly string[]): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1]
  if (given === undefined) return false
  const digest = sha256(given)
  let ok = false
  for (const t of tokens) ok = timingSafeEqual(digest, sha256(t)) || ok
  return ok
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
