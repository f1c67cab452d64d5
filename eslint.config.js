// Lint: neostandard (the style fastify/demo and githuman use), TypeScript-aware, plus a line length the code can be read at.
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['bench/results/**', 'coverage/**', '.data/**'] }),
  {
    rules: {
      '@stylistic/max-len': ['error', { code: 140, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      // `void promise` marks a promise deliberately not awaited (its errors are handled where it is made).
      'no-void': ['error', { allowAsStatement: true }],
      // Load loops run `while (running)` and another task clears the flag: the rule cannot see that.
      'no-unmodified-loop-condition': 'off',
    },
  },
]
