-- One database per service (DESIGN.md "Services, ports and public paths").
-- The postgres image runs this once, when its data volume is first created;
-- each service then applies its own migrations at start-up.
CREATE DATABASE registration;
CREATE DATABASE campaign;
CREATE DATABASE catalog;
CREATE DATABASE orders;
CREATE DATABASE inventory;
