//! The reader site through the router, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod accounts;
mod api;
mod caching;
mod comments;
mod editor;
mod feeds;
mod follows;
mod headers;
mod newsletter;
mod pages;
mod passages;
mod roles;
mod safety;
mod support;
mod uploads;
mod validity;
