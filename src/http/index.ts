// The HTTP layer's public surface.
export { createHttpApp, type HttpApp, type HttpAppOptions, type HttpBindings, type HttpEnv, type HealthBody, type StatusBody } from './app.js'
export { listen, type ListenOptions, type Listening } from './server.js'
export { observeRequests, type AnsweredRequest, type RequestObserver } from './observe.js'
export { protectRoutes, requireAdmin, requireActionToken, isLoopbackHost, checkToken, ADMIN_PATHS, TOKEN_CHARS_MIN, type HttpAuth } from './auth.js'
export { type ErrorBody, ForbiddenError, UnauthorizedError, MalformedJsonError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, mapError } from './errors.js'
export { ACTION_TIMEOUT_MS_DEFAULT, BODY_BYTES_MAX_DEFAULT, JSON_DEPTH_MAX_DEFAULT } from './constants.js'
