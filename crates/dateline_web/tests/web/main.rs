//! The reader site through the router, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod accounts;
mod api;
mod body_limits;
mod body_safety;
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
mod save_rights;
mod support;
mod validity;
