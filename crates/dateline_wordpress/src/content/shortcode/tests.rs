use super::*;

fn expanded(text: &str) -> (String, Vec<String>) {
    let attachments = HashMap::new();
    expand(
        text,
        &Context {
            post_id: 1,
            attachments: &attachments,
        },
    )
}

#[test]
fn reads_attributes_in_every_form() {
    let attrs = attributes(r#" id="5" Title='It is' width=300 bare "quoted bare" src = "a b" "#);
    let pairs: Vec<(&str, &str)> = attrs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("id", "5"),
            ("title", "It is"),
            ("width", "300"),
            ("", "bare"),
            ("", "quoted bare"),
            ("src", "a b"),
        ]
    );
    assert!(attributes("").is_empty());
    assert_eq!(attributes(r#"x="unterminated"#)[0].1, "unterminated");
    assert_eq!(attributes("= =x")[0], (String::new(), "=".to_owned()));
}

#[test]
fn brackets_in_prose_stay() {
    for prose in [
        "He said [sic] it.",
        "As reported [1] and [2].",
        "[Editor's note: updated]",
        "[Update] The mayor [later] resigned.",
        "A [link text](https://example.com) in Markdown style.",
        "[note from the editor]",
        "Unbalanced [ and ] and [[ and ]]",
        "[[sic]]",
        "[x=1] and [-a] and [é]",
    ] {
        assert_eq!(expanded(prose), (prose.to_owned(), vec![]), "{prose}");
    }
}

#[test]
fn unknown_shortcodes_lose_their_tags_and_are_reported() {
    let (html, unknown) = expanded(
        r#"[contact-form-7 id="5" title="Contact"] A [pullquote]quoted [b]words[/b][/pullquote] and [spacer /]."#,
    );
    assert_eq!(html, " A quoted words and .");
    assert_eq!(unknown, ["contact-form-7", "pullquote", "b", "spacer"]);
}

#[test]
fn an_enclosing_shortcode_ends_at_the_first_closing_tag() {
    let (html, unknown) = expanded("[box]a [box]b[/box] c[/box]");
    assert_eq!(html, "a [box]b c[/box]");
    assert_eq!(unknown, ["box"]);
}

#[test]
fn escaped_shortcodes_become_literal() {
    let (html, unknown) = expanded(
        r#"Write [[caption]] or [[gallery ids="1"]] or [[embed]x[/embed]] or [[foo id=1]]."#,
    );
    assert_eq!(
        html,
        r#"Write [caption] or [gallery ids="1"] or [embed]x[/embed] or [foo id=1]."#
    );
    assert!(unknown.is_empty());
}

#[test]
fn shortcodes_in_pre_and_code_stay() {
    let text = "<pre>[gallery]\n[foo id=1]</pre> <code>[bar x=1]</code> <CODE>[baz /]";
    assert_eq!(expanded(text), (text.to_owned(), vec![]));
}

#[test]
fn names_media_files() {
    assert_eq!(
        file_name("https://x.test/up/My%20Song.mp3?v=2#t"),
        "My Song.mp3"
    );
    assert_eq!(file_name("https://x.test/"), "https://x.test/");
    assert_eq!(extension("https://x.test/a/B.JPG?x=1.png"), "jpg");
    assert_eq!(extension("https://x.test/a/noext"), "");
}

#[test]
fn media_without_a_file_keeps_what_it_encloses() {
    let (html, unknown) = expanded(r#"[video width="640"]<a href="/v.mp4">clip</a>[/video]"#);
    assert_eq!(html, r#"<a href="/v.mp4">clip</a>"#);
    assert!(unknown.is_empty());
}

#[test]
fn deep_nesting_stops_expanding() {
    let depth = 40;
    let open: String = (0..depth).map(|i| format!("[n{i}]")).collect();
    let close: String = (0..depth).rev().map(|i| format!("[/n{i}]")).collect();
    let (html, unknown) = expanded(&format!("{open}x{close}"));
    assert_eq!(unknown.len(), MAX_DEPTH + 1);
    assert!(html.contains('x'));
    assert!(html.starts_with("[n17]"));
}

#[test]
fn survives_odd_input() {
    for text in [
        "[", "[[", "]]", "[/", "[a", "[a ", "[a /", "[a]]", "[[a", "<pre", "<code>[", "[é [ü]",
        "[a\u{0}]",
    ] {
        let _ = expanded(text);
    }
}
