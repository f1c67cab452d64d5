// isoMillis and isoMicros against what a JS Date and PostgreSQL's to_char make of the same timestamps, as sessions in
// several time zones send them.
import postgres from 'postgres'
import t from 'tap'
import { isoMicros, isoMillis } from '../src/timestamps.ts'
import { serverUrl } from './helpers/database.ts'

// UTC (the fast path), whole-hour, half-hour and 45-minute offsets, and a zone with daylight saving.
const ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Europe/Amsterdam']

t.test('the ISO strings are exactly those of a Date (milliseconds) and of to_char (microseconds)', async (t) => {
  const sql = postgres(serverUrl(), { max: 1, onnotice: () => {} })
  t.teardown(() => sql.end())
  // Every fraction length PostgreSQL prints (it drops trailing zeros), days around the year's ends, and random instants.
  const fixed = ['2026-11-23 08:16:08+00', '2026-11-23 08:16:08.1+00', '2026-11-23 08:16:08.12+00', '2026-11-23 08:16:08.123+00',
    '2026-11-23 08:16:08.1234+00', '2026-11-23 08:16:08.12345+00', '2026-11-23 08:16:08.123456+00', '2026-11-23 08:16:08.999999+00',
    '2026-11-23 08:16:08.000001+00', '2026-11-23 08:16:08.0009+00', '1999-12-31 23:59:59.9999+00', '2000-01-01 00:00:00.5+00',
    '1970-01-01 00:00:00+00', '2024-02-29 12:00:00.07+00', '2099-12-31 23:59:59.999999+00']
  let checked = 0
  for (const zone of ZONES) {
    await sql`select set_config('TimeZone', ${zone}, false)`
    const rows = await sql<Array<{ text: string, millis: string, micros: string }>>`
      with instants as (
        select unnest(${fixed}::timestamptz[]) as at
        union all
        select timestamptz '1990-01-01 00:00:00+00' + random() * interval '100 years' from generate_series(1, 300)
      )
      select at::text as text,
        to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as millis,
        to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as micros
      from instants`
    for (const row of rows) {
      const millis = isoMillis(row.text)
      if (millis !== row.millis || millis !== new Date(row.text).toISOString() || isoMicros(row.text) !== row.micros) {
        t.fail(`${zone}: ${row.text} gave ${isoMillis(row.text)} / ${isoMicros(row.text)}, want ${row.millis} / ${row.micros}`)
      }
      checked++
    }
  }
  t.equal(checked, ZONES.length * (fixed.length + 300))
})

t.test('the fast path takes only the UTC form; anything else goes through a Date', async (t) => {
  t.equal(isoMillis('2026-11-23 08:16:08.123456+00'), '2026-11-23T08:16:08.123Z')
  t.equal(isoMillis('2026-11-23 08:16:08+00'), '2026-11-23T08:16:08.000Z')
  t.equal(isoMicros('2026-11-23 08:16:08.12+00'), '2026-11-23T08:16:08.120000Z')
  t.equal(isoMillis('2026-11-23 13:46:08.123456+05:30'), '2026-11-23T08:16:08.123Z')
  t.equal(isoMicros('2026-11-23 13:46:08.123456+05:30'), '2026-11-23T08:16:08.123456Z')
  t.equal(isoMicros('2026-11-23 04:46:08-03:30'), '2026-11-23T08:16:08.000000Z')
  t.throws(() => isoMillis('not a time'), RangeError, 'what a Date cannot read fails as it did before')
})
