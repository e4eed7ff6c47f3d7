CREATE TABLE "delivery_queue" (
	"destination_id" uuid NOT NULL,
	"delivery_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"due_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claim_id" uuid,
	"ordering_key" text,
	"order_seq" bigint NOT NULL,
	"bytes" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "delivery_queue_destination_id_delivery_id_pk" PRIMARY KEY("destination_id","delivery_id")
);
--> statement-breakpoint
CREATE TABLE "fifo_groups" (
	"destination_id" uuid NOT NULL,
	"ordering_key" text NOT NULL,
	"tenant_id" uuid NOT NULL,
	"due_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claim_id" uuid,
	"tail_seq" bigint NOT NULL,
	"done_seq" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "fifo_groups_destination_id_ordering_key_pk" PRIMARY KEY("destination_id","ordering_key")
);
--> statement-breakpoint
CREATE TABLE "destination_health" (
	"destination_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"state" text NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"detail" text
);
--> statement-breakpoint
CREATE TABLE "event_outbox" (
	"tenant_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"event_id" uuid NOT NULL,
	"customer_external_id" text NOT NULL,
	"bytes" integer NOT NULL,
	"accepted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"not_before" timestamp with time zone,
	"last_error" text,
	CONSTRAINT "event_outbox_tenant_id_seq_pk" PRIMARY KEY("tenant_id","seq")
);
--> statement-breakpoint
DROP INDEX "deliveries_due_idx";--> statement-breakpoint
DROP INDEX "deliveries_group_head_idx";--> statement-breakpoint
DROP INDEX "deliveries_pending_due_idx";--> statement-breakpoint
DROP INDEX "deliveries_event_idx";--> statement-breakpoint
DROP INDEX "delivery_attempts_delivery_idx";--> statement-breakpoint
DROP INDEX "events_pending_fan_out_idx";--> statement-breakpoint
DROP INDEX "events_customer_pending_fan_out_idx";--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "last_duration_ms" integer;--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "regrouping_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "bytes" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "delivery_queue_due_idx" ON "delivery_queue" USING btree ("destination_id","due_at") WHERE "delivery_queue"."ordering_key" is null;--> statement-breakpoint
CREATE INDEX "delivery_queue_group_idx" ON "delivery_queue" USING btree ("destination_id","ordering_key","order_seq") WHERE "delivery_queue"."ordering_key" is not null;--> statement-breakpoint
CREATE INDEX "fifo_groups_due_idx" ON "fifo_groups" USING btree ("destination_id","due_at");--> statement-breakpoint
CREATE INDEX "event_outbox_customer_idx" ON "event_outbox" USING btree ("tenant_id","customer_external_id","seq");--> statement-breakpoint
CREATE INDEX "deliveries_destination_id_idx" ON "deliveries" USING btree ("destination_id","id");--> statement-breakpoint
CREATE INDEX "dlq_entries_destination_open_idx" ON "dlq_entries" USING btree ("destination_id") WHERE "dlq_entries"."state" = 'open';--> statement-breakpoint
-- Outstanding work moves to its own tables: unfanned events to the outbox, pending deliveries
-- to the queue (with their FIFO groups); a successful attempt lives on its delivery.
INSERT INTO "event_outbox" ("tenant_id", "seq", "event_id", "customer_external_id", "bytes")
  SELECT "tenant_id", "seq", "id", "customer_external_id", 0 FROM "events" WHERE "fanned_out_at" IS NULL;--> statement-breakpoint
INSERT INTO "delivery_queue" ("destination_id", "delivery_id", "tenant_id", "due_at", "ordering_key", "order_seq", "bytes", "expires_at")
  SELECT "destination_id", "id", "tenant_id", "next_attempt_at", "ordering_key", "order_seq", 0, "expires_at"
  FROM "deliveries" WHERE "status" = 'pending';--> statement-breakpoint
INSERT INTO "fifo_groups" ("destination_id", "ordering_key", "tenant_id", "due_at", "tail_seq")
  SELECT "destination_id", "ordering_key", (array_agg("tenant_id"))[1], min("due_at"), max("order_seq")
  FROM "delivery_queue" WHERE "ordering_key" IS NOT NULL GROUP BY "destination_id", "ordering_key";--> statement-breakpoint
UPDATE "deliveries" d SET "last_duration_ms" = a."duration_ms"
  FROM "delivery_attempts" a WHERE a."delivery_id" = d."id" AND a."outcome" = 'delivered';--> statement-breakpoint
DELETE FROM "delivery_attempts" WHERE "outcome" = 'delivered';--> statement-breakpoint
ALTER TABLE "deliveries" DROP COLUMN "next_attempt_at";--> statement-breakpoint
ALTER TABLE "deliveries" DROP COLUMN "claim_id";--> statement-breakpoint
ALTER TABLE "delivery_attempts" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_delivery_id_n_pk" PRIMARY KEY("delivery_id","n");--> statement-breakpoint
ALTER TABLE "delivery_attempts" DROP COLUMN "provider_message_id";--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "fanned_out_at";--> statement-breakpoint
-- Room on each page for an outcome's new row version: recording one is then a HOT update.
ALTER TABLE "deliveries" SET (fillfactor = 80);