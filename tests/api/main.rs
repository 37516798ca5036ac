//! End-to-end tests of the REST API and the services against real MariaDB and NATS.

mod accounts;
mod auth;
mod client;
mod conflicts;
mod cors;
mod entities;
mod errors;
mod events;
mod exactness;
mod fanout_limits;
mod fanout_rooms;
mod janitor;
mod migrations;
mod openapi;
mod services;
mod sync_inputs;
mod tokens;
mod walkthrough;
