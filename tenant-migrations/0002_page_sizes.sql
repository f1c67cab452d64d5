-- Each note keeps what its title and content take as JSON strings (quotes and escapes included: a control character is
-- one byte stored and six written), so that a page of notes is cut at its byte budget without escaping every row's
-- text again on every read (src/tenant-database/notes-repository.ts). A generated column: nothing that writes a note,
-- the API or an operator's UPDATE, can leave it wrong. to_json is STABLE only because of other types' output; for text
-- it depends on no setting, so the wrapper may be IMMUTABLE, as a generated column requires. Adding the column rewrites
-- the table, holding its lock meanwhile.
CREATE OR REPLACE FUNCTION public.json_string_bytes(value text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN pg_catalog.octet_length(pg_catalog.to_json(value)::text);
--> statement-breakpoint
ALTER TABLE "notes" ADD COLUMN "text_bytes" integer GENERATED ALWAYS AS (public.json_string_bytes(title) + coalesce(public.json_string_bytes(content), 0)) STORED NOT NULL;
