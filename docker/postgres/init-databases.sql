-- One database per service (infra/services.yaml; docs/architecture.md, "The services").
-- The postgres image runs this once, when its data volume is first created;
-- each service then applies its own migrations at start-up.
CREATE DATABASE registration;
CREATE DATABASE campaign;
CREATE DATABASE catalog;
CREATE DATABASE orders;
CREATE DATABASE inventory;
