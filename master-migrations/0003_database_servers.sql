CREATE TYPE "public"."server_status" AS ENUM('active', 'draining');--> statement-breakpoint
ALTER TABLE "database_servers" ADD COLUMN "admin_url_encrypted" text;--> statement-breakpoint
ALTER TABLE "database_servers" ADD COLUMN "status" "server_status" DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "database_servers" ADD COLUMN "max_tenants" integer;--> statement-breakpoint
ALTER TABLE "database_servers" ADD COLUMN "connection_budget" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "migration_error" text;