// Connects to the master database, brings it to the latest master migration, and closes it with the app.
import fp from 'fastify-plugin'
import { connectMaster, type MasterDatabase } from '../../master/database.ts'
import { masterMigrations, migrateDatabase } from '../../migrator.ts'

declare module 'fastify' {
  interface FastifyInstance {
    master: MasterDatabase
  }
}

export default fp(async function masterDatabase (app) {
  const url = app.config.databaseUrl
  if (url === undefined) throw new Error('the master database URL is not set')
  await migrateDatabase(url, masterMigrations)
  const master = connectMaster(url)
  await closeToPublic(master, app.log)
  app.decorate('master', master)
  app.addHook('onClose', async () => { await master.close() })
}, { name: 'master-database', dependencies: ['config'] })

/** Tenant roles must not reach the master database: only roles granted CONNECT (and superusers) may. */
async function closeToPublic (master: MasterDatabase, log: { warn: (object: object, message: string) => void }): Promise<void> {
  const [row] = await master.sql<{ name: string }[]>`select current_database() as name`
  try {
    await master.sql`revoke connect, temporary on database ${master.sql(row?.name as string)} from public`
  } catch (error) {
    log.warn({ err: error }, 'could not revoke CONNECT on the master database from PUBLIC; tenant roles may connect to it')
  }
}
