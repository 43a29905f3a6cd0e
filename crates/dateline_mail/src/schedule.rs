//! Newsletters that go out by themselves: articles an editor marked to be
//! mailed when published, and digests. Once a day (and once a week) at the
//! hour an editor set, the articles published in the period before go to
//! the readers who asked for a digest. Each send is made once, whichever
//! process gets there first; a process that was down at the hour makes it
//! when it comes back, later that day.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use dateline_core::newsletter::Frequency;
use dateline_db::articles::{self, ArticleFilter};
use dateline_db::views::PageRequest;
use dateline_db::{Db, sends, site};

/// Makes every send that is due: marked articles now published, and the
/// digests whose hour has come. Every serving process calls this often.
pub async fn tick(db: &Db, now: DateTime<Utc>) -> anyhow::Result<Vec<sends::Send>> {
    let mut made = send_marked_articles(db, now).await?;
    made.extend(run_due(db, now).await?);
    Ok(made)
}

/// Sends the published articles marked to be mailed.
pub async fn send_marked_articles(db: &Db, now: DateTime<Utc>) -> anyhow::Result<Vec<sends::Send>> {
    let mut made = Vec::new();
    for id in sends::articles_to_mail(db).await? {
        let Some(article) = articles::find(db, id).await? else {
            continue;
        };
        match sends::send_article(
            db,
            id,
            &article.summary.headline,
            sends::SendMode::Marked,
            &dateline_core::audit::Who::system(),
            now,
        )
        .await?
        {
            Ok(send) => {
                tracing::info!(
                    article = id.0,
                    send = send.id,
                    recipients = send.queued,
                    "newsletter queued"
                );
                made.push(send);
            }
            Err(refusal) => tracing::info!(article = id.0, ?refusal, "marked article not sent"),
        }
    }
    Ok(made)
}

/// A digest due now: its period's name and the window it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub frequency: Frequency,
    /// `daily:2026-11-24` or `weekly:2026-11-23`; a send per name, ever.
    pub name: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The digests whose hour has come today (UTC): the daily one from the
/// hour on, the weekly one on its weekday from the hour on.
pub fn due(now: DateTime<Utc>, hour: u32, weekday: u32) -> Vec<Period> {
    let hour = hour.min(23);
    let at = Utc.from_utc_datetime(
        &now.date_naive()
            .and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default()),
    );
    if now < at {
        return Vec::new();
    }
    let mut due = vec![Period {
        frequency: Frequency::Daily,
        name: format!("daily:{}", now.date_naive()),
        from: at - Duration::days(1),
        until: at,
    }];
    if now.weekday().number_from_monday() == weekday.clamp(1, 7) {
        due.push(Period {
            frequency: Frequency::Weekly,
            name: format!("weekly:{}", now.date_naive()),
            from: at - Duration::days(7),
            until: at,
        });
    }
    due
}

/// Makes the digests that are due and not yet made. A period with nothing
/// published in it is recorded with no recipients, so it is not looked at
/// again. Returns the sends made.
pub async fn run_due(db: &Db, now: DateTime<Utc>) -> anyhow::Result<Vec<sends::Send>> {
    let settings = site::settings(db).await?;
    let mut made = Vec::new();
    for period in due(now, settings.digest_hour, settings.digest_weekday) {
        if sends::digest_exists(db, &period.name).await? {
            continue;
        }
        let filter = ArticleFilter {
            since: Some(period.from),
            until: Some(period.until),
            ..ArticleFilter::published()
        };
        let found = articles::list(db, &filter, PageRequest::new(1, 50)).await?;
        let ids: Vec<i64> = found.items.iter().map(|a| a.id.0).collect();
        let title = match period.frequency {
            Frequency::Weekly => format!("{}: the week's reports", settings.title),
            _ => format!("{}: today's reports", settings.title),
        };
        if let Some(send) =
            sends::send_digest(db, period.frequency, &period.name, &ids, &title, now).await?
        {
            tracing::info!(period = %period.name, articles = ids.len(), recipients = send.queued, "digest queued");
            made.push(send);
        }
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn daily_from_the_hour_weekly_on_its_day() {
        // 2026-11-23 is a Monday.
        assert!(due(at("2026-11-23T06:59:00Z"), 7, 1).is_empty());
        let monday = due(at("2026-11-23T07:00:00Z"), 7, 1);
        assert_eq!(monday.len(), 2);
        assert_eq!(monday[0].name, "daily:2026-11-23");
        assert_eq!(monday[0].from, at("2026-11-22T07:00:00Z"));
        assert_eq!(monday[1].name, "weekly:2026-11-23");
        assert_eq!(monday[1].from, at("2026-11-16T07:00:00Z"));
        let tuesday = due(at("2026-11-24T23:00:00Z"), 7, 1);
        assert_eq!(tuesday.len(), 1);
        assert_eq!(tuesday[0].frequency, Frequency::Daily);
    }
}
