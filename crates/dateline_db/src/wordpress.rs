//! Reading what a WordPress export leaves out from the site's own database
//! (MySQL or MariaDB): wpDiscuz's "Notify of" subscriptions and votes, spam
//! comments, and authors' bios. Read only; the rows come back as plain
//! values for the import to map, like the export's.

use crate::{DbError, Result, redact_url};
use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, Row};

/// A WordPress database, its tables named with `prefix` (`wp_` by default).
pub struct WordpressDb {
    pool: MySqlPool,
    prefix: String,
}

/// A comment as `wp_comments` holds it.
#[derive(Debug, Clone)]
pub struct WpComment {
    pub id: i64,
    pub post_id: i64,
    pub author: String,
    pub email: String,
    pub url: String,
    pub date_gmt: Option<NaiveDateTime>,
    pub content: String,
    pub approved: String,
    pub kind: String,
    pub parent: i64,
    pub user_id: i64,
}

/// A wpDiscuz subscription: to a post's new comments (`post`), to replies
/// to all of one's comments (`all_comment`) or to one comment (`comment`,
/// whose id is `object_id`).
#[derive(Debug, Clone)]
pub struct WpSubscription {
    pub email: String,
    pub post_id: i64,
    pub object_id: i64,
    pub kind: String,
    pub confirmed: bool,
    pub since: Option<NaiveDateTime>,
}

/// A wpDiscuz vote: `voter` is a WordPress user id, or a guest's hash.
#[derive(Debug, Clone)]
pub struct WpVote {
    pub comment_id: i64,
    pub voter: String,
    pub value: i64,
    pub at: Option<DateTime<Utc>>,
}

impl WordpressDb {
    /// Opens `url` (`mysql://USER:PASSWORD@HOST/DB`), checks that it is a
    /// WordPress database with tables named `prefix…`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(DbError::Config(format!(
                "the table prefix \"{prefix}\" is not one WordPress makes: letters, digits and _ only, such as wp_"
            )));
        }
        let pool = MySqlPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| DbError::Connect {
                url: redact_url(url),
                source: e,
            })?;
        let db = Self {
            pool,
            prefix: prefix.to_owned(),
        };
        if !db.has_table("comments").await? {
            return Err(DbError::Config(format!(
                "{} has no table {prefix}comments: is it a WordPress database, and is --table-prefix right?",
                redact_url(url)
            )));
        }
        Ok(db)
    }

    fn table(&self, name: &str) -> String {
        format!("`{}{name}`", self.prefix)
    }

    /// Whether the table `prefix` + `name` exists (wpDiscuz's may not).
    pub async fn has_table(&self, name: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
        )
        .bind(format!("{}{name}", self.prefix))
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Authors' biographical info (the `description` user meta), by login.
    pub async fn bios(&self) -> Result<Vec<(String, String)>> {
        let sql = format!(
            "SELECT CAST(u.user_login AS CHAR), CAST(m.meta_value AS CHAR) FROM {} u JOIN {} m ON m.user_id = u.ID \
             WHERE m.meta_key = 'description' AND m.meta_value <> '' ORDER BY u.ID",
            self.table("users"),
            self.table("usermeta")
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Comments marked spam (an export leaves them out).
    pub async fn spam_comments(&self) -> Result<Vec<WpComment>> {
        let sql = format!(
            "SELECT comment_ID, comment_post_ID, CAST(comment_author AS CHAR), CAST(comment_author_email AS CHAR), \
             CAST(comment_author_url AS CHAR), CAST(comment_date_gmt AS CHAR), CAST(comment_content AS CHAR), \
             CAST(comment_approved AS CHAR), CAST(comment_type AS CHAR), comment_parent, user_id \
             FROM {} WHERE comment_approved = 'spam' ORDER BY comment_ID",
            self.table("comments")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(WpComment {
                    id: unsigned(r, 0)?,
                    post_id: unsigned(r, 1)?,
                    author: r.try_get(2)?,
                    email: r.try_get(3)?,
                    url: r.try_get(4)?,
                    date_gmt: date(r.try_get::<Option<String>, _>(5)?.as_deref()),
                    content: r.try_get(6)?,
                    approved: r.try_get(7)?,
                    kind: r.try_get(8)?,
                    parent: unsigned(r, 9)?,
                    user_id: unsigned(r, 10)?,
                })
            })
            .collect()
    }

    /// wpDiscuz's subscriptions, if it was installed.
    pub async fn subscriptions(&self) -> Result<Vec<WpSubscription>> {
        if !self.has_table("wc_comments_subscription").await? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT CAST(email AS CHAR), CAST(post_id AS SIGNED), CAST(subscribtion_id AS SIGNED), \
             CAST(subscribtion_type AS CHAR), CAST(confirm AS SIGNED), CAST(subscription_date AS CHAR) \
             FROM {} ORDER BY id",
            self.table("wc_comments_subscription")
        );
        let rows: Vec<SubscriptionRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(email, post_id, object_id, kind, confirm, since)| WpSubscription {
                    email,
                    post_id,
                    object_id,
                    kind,
                    confirmed: confirm.unwrap_or(0) == 1,
                    since: date(since.as_deref()),
                },
            )
            .collect())
    }

    /// wpDiscuz's votes, if it was installed.
    pub async fn votes(&self) -> Result<Vec<WpVote>> {
        if !self.has_table("wc_users_voted").await? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT CAST(comment_id AS SIGNED), CAST(user_id AS CHAR), CAST(COALESCE(vote_type, 0) AS SIGNED), \
             CAST(date AS SIGNED) FROM {} ORDER BY id",
            self.table("wc_users_voted")
        );
        let rows: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(comment_id, voter, value, at)| WpVote {
                comment_id,
                voter,
                value: value.signum(),
                at: at
                    .filter(|t| *t > 0)
                    .and_then(|t| DateTime::from_timestamp(t, 0)),
            })
            .collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// email, post, subscribed object, kind, confirm, date.
type SubscriptionRow = (String, i64, i64, String, Option<i64>, Option<String>);

/// WordPress's ids are BIGINT UNSIGNED.
fn unsigned(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<i64> {
    let v: u64 = row.try_get(i)?;
    i64::try_from(v).map_err(|_| DbError::Config(format!("an id too large to keep: {v}")))
}

/// A MySQL DATETIME as text; WordPress writes `0000-00-00 00:00:00` for none.
fn date(text: Option<&str>) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text?, "%Y-%m-%d %H:%M:%S").ok()
}
