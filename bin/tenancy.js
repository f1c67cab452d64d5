#!/usr/bin/env node
// The `tenancy` command: runs the TypeScript CLI through tsx, the way `npm start` runs the server.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
