use crate::urls::Urls;
use crate::views::Link;
use chrono::{DateTime, Utc};
use dateline_core::i18n::Phrases;
use dateline_core::{FeaturedImage, Language};
use dateline_db::views::{ArticleSummary, ArticleView};
use minijinja::HtmlEscape;
use serde::Serialize;

/// A time as a page shows it: machine-readable and in words.
#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    pub iso: String,
    pub display: String,
}

impl DateView {
    pub fn new(at: DateTime<Utc>, phrases: &Phrases) -> Self {
        Self {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            display: phrases.date(at),
        }
    }
}

/// A name in a byline, with what goes before it ("", ", ", " and ").
#[derive(Debug, Clone, Serialize)]
pub struct BylineName {
    pub sep: &'static str,
    pub url: String,
    pub label: String,
}

/// An article in a list.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleCard {
    pub url: String,
    pub headline: String,
    pub deck: String,
    pub excerpt: String,
    pub dateline: String,
    pub lang: String,
    pub dir: &'static str,
    pub by: &'static str,
    pub authors: Vec<BylineName>,
    pub section: Option<Link>,
    pub published: Option<DateView>,
    pub image: Option<FeaturedImage>,
    /// "From Al-Mada" for reports first published elsewhere.
    pub source: Option<String>,
    /// Approved comments, shown on lists when there are any.
    pub comments: i64,
}

impl ArticleCard {
    /// Cards for a list of articles, in order.
    pub fn all(articles: &[ArticleSummary], urls: &Urls) -> Vec<Self> {
        articles.iter().map(|a| Self::new(a, urls)).collect()
    }

    pub fn new(a: &ArticleSummary, urls: &Urls) -> Self {
        let phrases = Phrases::for_language(&a.language);
        Self {
            url: urls.article(&a.slug),
            headline: a.headline.clone(),
            deck: a.deck.clone(),
            excerpt: a.excerpt.clone(),
            dateline: a.dateline.clone(),
            lang: a.language.to_string(),
            dir: a.direction.as_str(),
            by: phrases.by,
            authors: a
                .authors
                .iter()
                .enumerate()
                .map(|(i, au)| BylineName {
                    sep: phrases.separator_before(i, a.authors.len()),
                    url: urls.author(&au.slug),
                    label: au.name.clone(),
                })
                .collect(),
            section: a.section.as_ref().map(|s| Link {
                url: urls.section(&s.slug),
                label: s.name.clone(),
            }),
            published: a.published_at.map(|t| DateView::new(t, phrases)),
            image: a.featured_image.clone(),
            source: a.provenance.as_ref().map(|p| p.outlet.clone()),
            comments: a.comment_count,
        }
    }
}

/// "Original report: Outlet, translated from Arabic by Name."
#[derive(Debug, Clone, Serialize)]
pub struct CreditView {
    pub label: &'static str,
    pub outlet: String,
    pub outlet_url: Option<String>,
    /// Starts with the list separator when there is a note.
    pub note: Option<String>,
    pub separator: &'static str,
    pub end: &'static str,
}

/// Another language's version, for "Also in".
#[derive(Debug, Clone, Serialize)]
pub struct TranslationView {
    pub url: String,
    pub headline: String,
    pub lang: String,
    pub dir: &'static str,
    pub language_name: String,
}

/// Everything the article page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ArticlePageView {
    #[serde(flatten)]
    pub card: ArticleCard,
    /// Sanitized when saved; the dateline, escaped, opens the first paragraph.
    pub body_html: String,
    /// Widths of an uploaded featured image, for `srcset`.
    pub image_srcset: Option<String>,
    pub updated: Option<DateView>,
    pub credit: Option<CreditView>,
    pub translations: Vec<TranslationView>,
    pub tags: Vec<Link>,
    pub published_label: &'static str,
    pub updated_label: &'static str,
    pub also_in_label: &'static str,
    pub tags_label: &'static str,
    pub image_credit_label: &'static str,
    /// The comment section (none on a newsroom preview).
    pub comments: Option<crate::views::comments::CommentSection>,
    /// Other sites that linked to the report (pingbacks and trackbacks
    /// kept by an import).
    pub mentions: Vec<MentionView>,
    /// A page (About, Contact): no byline, dates, sign-up box or comments.
    pub is_page: bool,
}

/// A site that linked to the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MentionView {
    pub name: String,
    /// Only http(s) addresses; empty otherwise (the name is shown alone).
    pub url: String,
    pub excerpt: String,
    pub date: String,
}

impl From<dateline_db::imports::Mention> for MentionView {
    fn from(m: dateline_db::imports::Mention) -> Self {
        let lower = m.source_url.to_ascii_lowercase();
        let web = lower.starts_with("http://") || lower.starts_with("https://");
        Self {
            name: m.source_name,
            url: if web { m.source_url } else { String::new() },
            excerpt: m.excerpt,
            date: m.created_at.format("%Y-%m-%d").to_string(),
        }
    }
}

/// What shows beside one paragraph: a link to comment on it with how many
/// have, and the editors' question on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassageMarker {
    /// The passage's page (none on a newsroom preview).
    pub url: Option<String>,
    pub anchor: String,
    pub count: i64,
    pub question: Option<String>,
}

impl PassageMarker {
    /// Markers for the current passages, by position.
    pub fn for_passages(
        passages: &[dateline_db::passages::PassageView],
        slug: &str,
        urls: &Urls,
    ) -> Vec<Self> {
        passages
            .iter()
            .filter(|p| p.current())
            .map(|p| Self {
                url: Some(urls.passage(slug, &p.anchor)),
                anchor: p.anchor.clone(),
                count: p.answers,
                question: p.question.clone(),
            })
            .collect()
    }

    /// Markers that only show the questions (a preview, before anchors).
    pub fn for_preview(passages: &[dateline_render::Passage]) -> Vec<Self> {
        passages
            .iter()
            .map(|p| Self {
                question: p.question.clone(),
                ..Self::default()
            })
            .collect()
    }

    fn html(&self) -> String {
        let Some(url) = &self.url else {
            return match &self.question {
                Some(q) => format!(
                    " <span class=\"passage-question-preview\">Question for readers: {}</span>",
                    HtmlEscape(q)
                ),
                None => String::new(),
            };
        };
        let n = self.count;
        // With none yet, a marker with no question is an invitation.
        let answers = match (n, self.question.is_some()) {
            (0, false) => "comment on this paragraph".to_owned(),
            (n, asked) => crate::views::comments::passage_count(n, asked),
        };
        let (class, label) = match &self.question {
            Some(q) => (
                "passage-marker asked",
                format!("The editors ask: {}; {answers}", HtmlEscape(q)),
            ),
            None => (
                if n == 0 {
                    "passage-marker empty"
                } else {
                    "passage-marker"
                },
                answers,
            ),
        };
        let icon = if self.question.is_some() { "?" } else { "+" };
        format!(
            // A no-break space: the marker never wraps alone onto a line.
            "\u{a0}<a class=\"{class}\" href=\"{url}\" data-anchor=\"{anchor}\"><span class=\"marker-icon\" aria-hidden=\"true\">{icon}</span>{count}<span class=\"visually-hidden\">{label}</span></a>",
            url = crate::templates::escape(url),
            anchor = crate::templates::escape(&self.anchor),
            count = if n > 0 {
                format!("<span class=\"marker-count\" aria-hidden=\"true\">{n}</span>")
            } else {
                String::new()
            },
        )
    }
}

/// A body rendered for the newsroom's live preview: each editors' question
/// shown where its paragraph's marker will be.
pub fn with_questions(
    rendered: &dateline_render::RenderedBody,
) -> Result<String, dateline_render::RenderError> {
    Ok(page_body(
        &rendered.html(&[])?,
        "",
        &PassageMarker::for_preview(&rendered.passages),
    ))
}

/// The body an article page shows: the stored body with the dateline at the
/// head of the first paragraph, as newspapers do, each paragraph's marker
/// at its end and the asked paragraphs marked. Sanitized again after
/// (`dateline_render::page_body`), so nothing added is trusted as it is.
fn page_body(body_html: &str, dateline: &str, markers: &[PassageMarker]) -> String {
    let lead = (!dateline.is_empty()).then(|| {
        format!(
            "<span class=\"dateline\">{}</span> — ",
            HtmlEscape(dateline)
        )
    });
    let extras: Vec<dateline_render::ParagraphExtras> = markers
        .iter()
        .map(|m| dateline_render::ParagraphExtras {
            class: m.question.is_some().then_some("asked"),
            last: m.html(),
        })
        .collect();
    dateline_render::page_body(body_html, lead.as_deref(), &extras)
}

impl ArticlePageView {
    pub fn new(v: &ArticleView, urls: &Urls, markers: &[PassageMarker]) -> Self {
        let a = &v.summary;
        let phrases = Phrases::for_language(&a.language);
        let credit = a.provenance.as_ref().map(|p| CreditView {
            label: phrases.original_report,
            outlet: p.outlet.clone(),
            outlet_url: p.url.clone(),
            // A report republished in its own language was not translated.
            note: phrases.translation_note(
                p.language
                    .as_ref()
                    .filter(|l| l.primary() != a.language.primary()),
                &p.translators,
                &a.language,
            ),
            separator: phrases.list_separator,
            end: phrases.sentence_end,
        });
        let updated = match a.published_at {
            // Only a change made after publication counts as an update.
            Some(published) if a.updated_at - published > chrono::Duration::minutes(5) => {
                Some(DateView::new(a.updated_at, phrases))
            }
            _ => None,
        };
        Self {
            card: ArticleCard::new(a, urls),
            body_html: page_body(&v.body_html, &a.dateline, markers),
            image_srcset: None,
            updated,
            credit,
            translations: v
                .translations
                .iter()
                .map(|t| TranslationView {
                    url: urls.article(&t.slug),
                    headline: t.headline.clone(),
                    lang: t.language.to_string(),
                    dir: t.direction.as_str(),
                    language_name: t.language.native_name().to_owned(),
                })
                .collect(),
            tags: a
                .tags
                .iter()
                .map(|t| Link {
                    url: urls.tag(&t.slug),
                    label: t.name.clone(),
                })
                .collect(),
            published_label: phrases.published,
            updated_label: phrases.updated,
            also_in_label: phrases.also_in,
            tags_label: phrases.tags,
            image_credit_label: phrases.image_credit,
            comments: None,
            mentions: Vec::new(),
            is_page: a.kind == dateline_core::ArticleKind::Page,
        }
    }
}

/// The language code OpenGraph expects ("ar", "en_GB").
pub fn og_locale(language: &Language) -> String {
    language.as_str().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dateline_opens_the_first_paragraph_escaped() {
        assert_eq!(
            page_body("<p>Text.</p>", "BAGHDAD, Iraq.", &[]),
            "<p><span class=\"dateline\">BAGHDAD, Iraq.</span> — Text.</p>"
        );
        assert_eq!(
            page_body("<p>x</p>", "<b>A&B</b>", &[]),
            "<p><span class=\"dateline\">&lt;b&gt;A&amp;B&lt;/b&gt;</span> — x</p>"
        );
        assert_eq!(page_body("<p>x</p>", "", &[]), "<p>x</p>");
        assert_eq!(
            page_body("<p id=\"p1\">x</p>", "ROME", &[]),
            "<p id=\"p1\"><span class=\"dateline\">ROME</span> — x</p>"
        );
        assert!(page_body("<h2>x</h2>", "ROME", &[]).starts_with("<p class=\"dateline-alone\">"));
    }

    #[test]
    fn markers_end_their_paragraphs_escaped() {
        let markers = [
            PassageMarker {
                url: Some("/a/passages/p1".into()),
                anchor: "p1".into(),
                count: 2,
                question: Some("Is <this> fair?".into()),
            },
            PassageMarker {
                url: Some("/a/passages/p2".into()),
                anchor: "p2".into(),
                count: 0,
                question: None,
            },
        ];
        let html = page_body(
            "<p id=\"p1\">One.</p>\n<p id=\"p2\">Two.</p>\n<p>Three.</p>",
            "",
            &markers,
        );
        assert!(html.starts_with("<p class=\"asked\" id=\"p1\">One.&nbsp;<a class=\"passage-marker asked\" href=\"/a/passages/p1\""), "{html}");
        assert!(html.contains("Is &lt;this&gt; fair?; 2 answers"), "{html}");
        assert!(
            html.contains("<span class=\"marker-count\" aria-hidden=\"true\">2</span>"),
            "{html}"
        );
        assert!(
            html.contains("<p id=\"p2\">Two.&nbsp;<a class=\"passage-marker empty\""),
            "{html}"
        );
        assert!(html.ends_with("<p>Three.</p>"), "{html}");
        assert!(dateline_render::is_clean_page(&html));
    }
}
