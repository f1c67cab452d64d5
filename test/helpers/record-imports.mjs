// Preloaded with `node --import`: records every module specifier the process resolves into the file named by
// RECORD_IMPORTS, so a test can tell which packages a command loads.
import { register } from 'node:module'

register('./record-imports-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_IMPORTS } })
