CREATE INDEX "dlq_audit_at_idx" ON "dlq_audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "dlq_replay_items_entry_idx" ON "dlq_replay_items" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "events_received_at_idx" ON "events" USING btree ("received_at");
-- On a large events table, build events_received_at_idx beforehand with CREATE INDEX CONCURRENTLY (README, Retention):
-- this statement then finds it and goes on, instead of holding writes to events while it builds.
