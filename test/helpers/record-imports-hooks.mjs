// Module resolution hooks (they run off the main thread): append each resolved specifier to a file.
import { appendFileSync } from 'node:fs'

let file

export function initialize (data) {
  file = data.file
}

export async function resolve (specifier, context, next) {
  if (file !== undefined) appendFileSync(file, `${specifier}\n`)
  return next(specifier, context)
}
