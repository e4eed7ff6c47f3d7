ALTER TABLE "fifo_groups" ADD COLUMN "held_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "fifo_on_dead_letter" text DEFAULT 'skip' NOT NULL;--> statement-breakpoint
ALTER TABLE "dlq_entries" ADD COLUMN "holds_group" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "fifo_groups_held_idx" ON "fifo_groups" USING btree ("destination_id") WHERE "fifo_groups"."held_at" is not null;