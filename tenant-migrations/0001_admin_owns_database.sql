-- Tenant databases were once owned by their tenant's role, which could then create schemas, change the database's
-- settings (its search_path) and plant objects an admin session would run. The admin takes ownership of all that role
-- owns here (the database included), the database's own settings are reset, and the role keeps CONNECT and its data
-- grants only. Runs as the admin; in the template, and in databases made since, there is nothing of a tenant role.
DO $$
DECLARE
  tenant_role text := pg_catalog.current_database();
  superuser boolean := (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER);
BEGIN
  IF tenant_role = CURRENT_USER OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = tenant_role) THEN
    RETURN;
  END IF;
  -- REASSIGN OWNED needs the privileges of the role it takes from: a non-superuser admin borrows them for a moment.
  IF NOT superuser THEN
    EXECUTE pg_catalog.format('GRANT %I TO CURRENT_USER', tenant_role);
  END IF;
  EXECUTE pg_catalog.format('REASSIGN OWNED BY %I TO CURRENT_USER', tenant_role);
  IF NOT superuser THEN
    EXECUTE pg_catalog.format('REVOKE %I FROM CURRENT_USER', tenant_role);
  END IF;
  EXECUTE pg_catalog.format('ALTER DATABASE %I RESET ALL', tenant_role);
  EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM PUBLIC', tenant_role);
  EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I', tenant_role, tenant_role);
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA public TO %I', tenant_role);
  EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', tenant_role);
  EXECUTE pg_catalog.format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', tenant_role);
END
$$;
