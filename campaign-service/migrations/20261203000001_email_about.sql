-- What an email is about: the aggregate of the event that caused it (an
-- order id, a SKU, a customer id, a report's day), so the back office can
-- list an order's emails. Emails written before this column have none.
ALTER TABLE emails ADD COLUMN about text;

CREATE INDEX emails_about_idx ON emails (about, id DESC) WHERE about IS NOT NULL;
