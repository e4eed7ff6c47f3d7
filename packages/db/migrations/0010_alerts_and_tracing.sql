CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"destination_id" uuid NOT NULL,
	"customer_external_id" text NOT NULL,
	"rule" text NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"value" double precision NOT NULL,
	"threshold" integer NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "alert_rules" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "trace_context" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_key" ON "alerts" USING btree ("destination_id","rule") WHERE "alerts"."state" = 'open';--> statement-breakpoint
CREATE INDEX "alerts_tenant_open_idx" ON "alerts" USING btree ("tenant_id","id") WHERE "alerts"."state" = 'open';