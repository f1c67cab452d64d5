ALTER TABLE "refresh_tokens" ADD COLUMN "token_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Tokens issued before this column existed belong to their user's current version: they stay as valid as they were.
UPDATE "refresh_tokens" SET "token_version" = "users"."token_version" FROM "users" WHERE "users"."id" = "refresh_tokens"."user_id";
