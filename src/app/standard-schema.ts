// The Standard Schema v1 interface (https://standardschema.dev), written out
// here because the spec asks libraries to depend on the shape, not a package.
// Any validator that carries `~standard.validate` works: zod 4, valibot, arktype.

export interface StandardIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | StandardPathSegment> | undefined
}

export interface StandardPathSegment {
  readonly key: PropertyKey
}

export type StandardResult<Output> =
  | { readonly value: Output, readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> }

export interface StandardProps<Input = unknown, Output = Input> {
  readonly version: 1
  readonly vendor: string
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
  readonly types?: { readonly input: Input, readonly output: Output } | undefined
}

export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardProps<Input, Output>
}

/** What `run` receives after validation (zod: `z.output<typeof schema>`). */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output']

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false
  const props = (value as { '~standard'?: unknown })['~standard']
  return typeof props === 'object' && props !== null && typeof (props as { validate?: unknown }).validate === 'function'
}
