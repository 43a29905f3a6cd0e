//! The reader site through the router, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod accounts;
mod api;
mod audit;
mod body_limits;
mod body_safety;
mod caching;
mod comment_rules;
mod comments;
mod editor;
mod feeds;
mod follow_proof;
mod follows;
mod headers;
mod mail_limits;
mod mail_slots;
mod newsletter;
mod pages;
mod passages;
mod reader;
mod roles;
mod safety;
mod save_rights;
mod sign_in_limits;
mod support;
mod two_factor;
mod uploads;
mod validity;
