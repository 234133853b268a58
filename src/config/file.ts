// Reads the `--config` file: the I/O half of sources.ts. A missing file or
// bad JSON is a ConfigError naming the file.

import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors.js'
import type { FileSource } from './sources.js'

/** Config files hold a handful of keys; anything this big is the wrong file. */
export const CONFIG_FILE_BYTES_MAX = 1024 * 1024

export async function readConfigFile(path: string): Promise<FileSource> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (err as Error).message
    throw new ConfigError(`cannot read the config file ${path}: ${why}`, { cause: err })
  }
  if (text.length > CONFIG_FILE_BYTES_MAX) throw new ConfigError(`${path}: larger than ${CONFIG_FILE_BYTES_MAX} bytes; is it the right file?`)
  try {
    return { path, data: JSON.parse(text) as unknown }
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${(err as Error).message})`, { cause: err })
  }
}
