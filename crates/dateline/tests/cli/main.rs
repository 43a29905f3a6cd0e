//! The `dateline` binary as an operator and a reader meet it: commands, a
//! served site on SQLite and PostgreSQL, and a real browser.

#![allow(clippy::unwrap_used)]

mod api_contract;
mod archive;
mod audit;
mod browser;
mod commands;
mod comments;
mod inline_feedback;
mod newsletter;
mod newsroom;
mod serve;
mod support;
mod two_factor;
mod wordpress;
mod wordpress_db;
mod wordpress_long_thread;
