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
  app.decorate('master', master)
  app.addHook('onClose', async () => { await master.close() })
}, { name: 'master-database', dependencies: ['config'] })
