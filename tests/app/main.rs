//! The integration suite: the app over HTTP as a browser uses it, on SQLite, and again on
//! PostgreSQL when TEST_POSTGRES_URL is set.

mod account;
mod accounts;
mod browser;
mod browser_public;
mod cli;
mod concurrency;
mod join;
mod mail;
mod members;
mod news;
mod schema;
mod security;
mod smtp;
mod support;
mod webdriver;
