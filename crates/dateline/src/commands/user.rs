//! `dateline user add | list | token | passwd | two-factor-reset`.

use crate::commands::{open, operator};
use crate::config::Storage;
use anyhow::{Context, bail};
use chrono::Utc;
use dateline_db::{DbError, accounts};
use dateline_web::auth::passwords;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

/// Where a new password comes from.
enum Source {
    Stdin,
    Prompt,
    Generated,
}

fn source(password_stdin: bool) -> Source {
    if password_stdin {
        Source::Stdin
    } else if std::io::stdin().is_terminal() {
        Source::Prompt
    } else {
        Source::Generated
    }
}

/// The password to set, checked against the policy; `true` when it was
/// generated (and must be shown).
fn obtain_password(source: Source, email: &str) -> anyhow::Result<(String, bool)> {
    let (password, generated) = match source {
        Source::Stdin => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            (line.trim_end_matches(['\n', '\r']).to_owned(), false)
        }
        Source::Prompt => {
            let first =
                rpassword::prompt_password("Password: ").context("cannot read the password")?;
            let second = rpassword::prompt_password("The same again: ")
                .context("cannot read the password")?;
            if first != second {
                bail!("the two passwords are not the same; nothing was changed");
            }
            (first, false)
        }
        Source::Generated => (passwords::generate(), true),
    };
    passwords::check_policy(&password, email).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    Ok((password, generated))
}

pub async fn add(
    storage: &Storage,
    email: &str,
    name: &str,
    role: &str,
    password_stdin: bool,
) -> anyhow::Result<ExitCode> {
    let (name, email, role) =
        dateline_web::check_new_user(name, email, role).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (password, generated) = obtain_password(source(password_stdin), &email)?;
    let db = open(storage).await?;
    let hash = passwords::hash(password.clone()).await?;
    let user = accounts::create_user(&db, &email, &name, role, &hash, Utc::now(), &operator())
        .await
        .map_err(|e| match e {
            DbError::Conflict { message, .. } => anyhow::anyhow!(
                "{message} Use `dateline user passwd {email}` to change its password."
            ),
            other => other.into(),
        })?;
    println!(
        "Created {} <{}> as {} (user {}).",
        user.name, user.email, user.role, user.id
    );
    if generated {
        println!("Password (shown once): {password}");
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn list(storage: &Storage) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let now = Utc::now();
    println!(
        "{:>5}  {:<12}  {:<9}  {:<32}  NAME",
        "ID", "ROLE", "STATE", "EMAIL"
    );
    let users = accounts::users(&db).await?;
    for u in &users {
        let state = if u.disabled {
            "disabled"
        } else if u.is_locked(now) {
            "locked"
        } else {
            "active"
        };
        println!(
            "{:>5}  {:<12}  {:<9}  {:<32}  {}",
            u.id,
            u.role.as_str(),
            state,
            u.email,
            u.name
        );
    }
    println!(
        "{} account{}.",
        users.len(),
        if users.len() == 1 { "" } else { "s" }
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn passwd(
    storage: &Storage,
    email: &str,
    password_stdin: bool,
) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let Some(user) = accounts::user_by_email(&db, email).await? else {
        bail!(
            "there is no account for {email}; `dateline user list` shows them, `dateline user add` creates one"
        );
    };
    let (password, generated) = obtain_password(source(password_stdin), &user.email)?;
    let hash = passwords::hash(password.clone()).await?;
    accounts::set_password(&db, user.id, &hash, None, Utc::now(), &operator()).await?;
    println!(
        "Password changed for {}; every session of that account is signed out.",
        user.email
    );
    if generated {
        println!("Password (shown once): {password}");
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn token(storage: &Storage, email: &str, name: &str) -> anyhow::Result<ExitCode> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("--name: name the token after what will use it (at most 100 characters)");
    }
    let db = open(storage).await?;
    let Some(user) = accounts::user_by_email(&db, email).await? else {
        bail!(
            "there is no account for {email}; `dateline user list` shows them, `dateline user add` creates one"
        );
    };
    if user.disabled {
        bail!(
            "the account {} is disabled; a token must act as an active account",
            user.email
        );
    }
    let (id, secret) = dateline_web::issue_operator_token(&db, name, user.id, &operator())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Created token {id} \"{name}\" acting as {} ({}).",
        user.email, user.role
    );
    println!("Token (shown once): {secret}");
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn two_factor_reset(storage: &Storage, email: &str) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let Some(user) = accounts::user_by_email(&db, email).await? else {
        bail!("there is no account for {email}; `dateline user list` shows them");
    };
    if dateline_db::two_factor::disable(&db, user.id, Utc::now(), &operator()).await? {
        println!(
            "Two-factor sign-in is off for {}; they sign in with their password and can set it up again.",
            user.email
        );
    } else {
        println!("{} had no two-factor sign-in; nothing changed.", user.email);
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
