CREATE TABLE "dlq_audit" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid,
	"actor_kind" text NOT NULL,
	"actor_key_id" uuid,
	"action" text NOT NULL,
	"entry_id" uuid,
	"replay_id" uuid,
	"filter" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dlq_replay_items" (
	"replay_id" uuid NOT NULL,
	"entry_id" uuid NOT NULL,
	"done" boolean DEFAULT false NOT NULL,
	CONSTRAINT "dlq_replay_items_replay_id_entry_id_pk" PRIMARY KEY("replay_id","entry_id")
);
--> statement-breakpoint
CREATE TABLE "dlq_replays" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid,
	"filter" jsonb NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"total" integer NOT NULL,
	"replayed" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "retry_base" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dlq_replay_items" ADD CONSTRAINT "dlq_replay_items_replay_id_dlq_replays_id_fk" FOREIGN KEY ("replay_id") REFERENCES "public"."dlq_replays"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dlq_replay_items" ADD CONSTRAINT "dlq_replay_items_entry_id_dlq_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."dlq_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dlq_replays" ADD CONSTRAINT "dlq_replays_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dlq_audit_tenant_idx" ON "dlq_audit" USING btree ("tenant_id","at");--> statement-breakpoint
CREATE INDEX "dlq_replay_items_pending_idx" ON "dlq_replay_items" USING btree ("replay_id") WHERE not "dlq_replay_items"."done";