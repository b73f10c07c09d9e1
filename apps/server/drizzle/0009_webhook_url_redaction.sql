-- Hand-written data migration (drizzle-kit generate --custom), no schema change. Releases before
-- webhook URLs were shown redacted stored them whole where they are kept for reading: the url of
-- webhook.create and webhook.delete audit rows, and delivery errors quoting it (webhook.fail
-- audit rows, webhook_deliveries.last_error). An incoming webhook's URL carries its token.
-- The rewrite needs the service's redaction rule (redactedUrl, a WHATWG URL parse), which SQL
-- cannot reproduce exactly: this marks it due, and the service does it when it opens the
-- database, before it serves (src/db/data-migrations.ts), then marks it done.
INSERT INTO "settings" ("key", "value") VALUES ('webhook_url_redaction', 'pending') ON CONFLICT DO NOTHING;
