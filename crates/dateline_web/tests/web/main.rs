//! The reader site through the router, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod accounts;
mod api;
mod audit;
mod caching;
mod comments;
mod editor;
mod feeds;
mod follows;
mod newsletter;
mod pages;
mod passages;
mod roles;
mod safety;
mod sign_in_limits;
mod support;
mod two_factor;
mod validity;
