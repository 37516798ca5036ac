//! End-to-end tests of the REST API and the services against real MariaDB and NATS.

mod accounts;
mod auth;
mod errors;
mod migrations;
mod services;
mod tokens;
mod walkthrough;
