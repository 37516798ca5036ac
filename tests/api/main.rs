//! End-to-end tests of the REST API and the services against real MariaDB and NATS.

mod accounts;
mod auth;
mod client;
mod client_refusals;
mod conflicts;
mod entities;
mod entity_branches;
mod errors;
mod events;
mod exactness;
mod fanout_close_codes;
mod fanout_limits;
mod fanout_rooms;
mod fanout_upgrade;
mod fuzz_push;
mod fuzz_values;
mod janitor;
mod migrations;
mod openapi;
mod poison;
mod services;
mod since_pulls;
mod sync_inputs;
mod table_facts;
mod tokens;
mod walkthrough;
