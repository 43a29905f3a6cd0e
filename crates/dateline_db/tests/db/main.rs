//! Storage tests, each run on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod accounts;
mod archive;
mod articles;
mod limits;
mod saving;
mod search;
