-- SES SendEmail has no idempotency key: a send is made under a lease, so no
-- second send of an email starts while the first may still land.
ALTER TABLE emails ADD COLUMN sending_until timestamptz;
