CREATE INDEX "evaluations_input_hash" ON "evaluations" USING btree ("input_hash");--> statement-breakpoint
CREATE INDEX "evaluations_images_hash" ON "evaluations" USING btree ("images_hash");