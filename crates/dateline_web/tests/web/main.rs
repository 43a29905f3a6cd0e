//! The reader site through the router, on SQLite and on PostgreSQL.

mod api;
mod caching;
mod feeds;
mod pages;
mod safety;
mod support;
mod validity;
