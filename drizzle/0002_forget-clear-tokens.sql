-- Before 0002 the outbox kept live tokens in clear in its payloads, and idempotency
-- records kept the one-time manage token. Links are now minted at send time; forget the
-- old copies so a copy of the database hands out no access.
UPDATE `email_deliveries` SET `payload` = json_remove(`payload`, '$.manageToken', '$.signInToken', '$.confirmToken', '$.unsubscribeToken');--> statement-breakpoint
UPDATE `idempotency_keys` SET `response` = json_set(`response`, '$.manageToken', json('null'));
