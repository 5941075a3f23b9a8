//! The integration suite: the app over HTTP as a browser uses it, on SQLite, and again on
//! PostgreSQL when TEST_POSTGRES_URL is set.

mod account;
mod accounts;
mod bodies;
mod browser;
mod browser_cohorts;
mod browser_public;
mod cli;
mod cohorts;
mod cohorts_discussion;
mod cohorts_resources;
mod cohorts_sessions;
mod concurrency;
mod directory;
mod editor;
mod faults;
mod files;
mod forms;
mod health;
mod join;
mod mail;
mod member_home;
mod members;
mod news;
mod pages;
mod paging;
mod races;
mod routes;
mod schema;
mod security;
mod smtp;
mod staff_desk;
mod support;
mod webdriver;
mod words;
mod zones;
