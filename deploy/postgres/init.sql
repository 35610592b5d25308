-- One database per service on the one PostgreSQL server of the Compose setup.
CREATE DATABASE customers;
CREATE DATABASE orders;
CREATE DATABASE invoices;
CREATE DATABASE subscriptions;
CREATE DATABASE bank;
