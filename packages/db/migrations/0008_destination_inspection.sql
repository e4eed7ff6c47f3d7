ALTER TABLE "destinations" ADD COLUMN "inspected_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "trust_policy_open_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "destinations_inspection_due_idx" ON "destinations" USING btree ("inspected_at" NULLS FIRST) WHERE "destinations"."deleted_at" is null;