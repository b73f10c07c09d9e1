-- Hand-written data migration (drizzle-kit generate --custom): image signatures gained `source`
-- and `verifiedAt` (core's SignatureFacts). Stored facts from before get both as null, so every
-- stored signature has every field, as the engine and the wire schema expect. No schema change.
UPDATE "images" SET "facts" = jsonb_set("facts", '{signatures}', (
  SELECT coalesce(jsonb_agg(jsonb_build_object('source', null, 'verifiedAt', null) || s ORDER BY n), '[]'::jsonb)
  FROM jsonb_array_elements("facts"->'signatures') WITH ORDINALITY AS e(s, n)
))
WHERE jsonb_typeof("facts"->'signatures') = 'array';
--> statement-breakpoint
-- The image facts evaluations were run with (inputs of kind `images`, read by replays): the same.
UPDATE "inputs" SET "data" = (
  SELECT coalesce(jsonb_agg(
    CASE WHEN jsonb_typeof(f->'signatures') = 'array' THEN jsonb_set(f, '{signatures}', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('source', null, 'verifiedAt', null) || s ORDER BY n), '[]'::jsonb)
      FROM jsonb_array_elements(f->'signatures') WITH ORDINALITY AS e(s, n)
    )) ELSE f END ORDER BY m), '[]'::jsonb)
  FROM jsonb_array_elements("data") WITH ORDINALITY AS d(f, m)
)
WHERE "kind" = 'images' AND jsonb_typeof("data") = 'array';
