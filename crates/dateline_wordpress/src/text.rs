//! Small text helpers the conversions share: escaping for HTML, removing the
//! characters Dateline refuses, decoding HTML entities and percent-encoded
//! slugs, and a forgiving scanner that cuts HTML into text, tags and
//! comments. The scanner never builds a tree and never fails: whatever does
//! not read as a tag is text. Nothing here allocates more than a small
//! multiple of its input.

/// `s` with the five characters that mean something in HTML escaped, safe
/// inside element text and inside a quoted attribute value.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether Dateline refuses `c` in stored text: C0 and C1 control characters
/// and DEL (but not tab and line ends), the non-characters U+FFFE and
/// U+FFFF, and private-use characters (no font shows them to readers the
/// same way; Dateline's renderer drops them from text too).
pub(crate) fn is_unwanted(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(
            c,
            '\u{FFFE}'
                | '\u{FFFF}'
                | '\u{E000}'..='\u{F8FF}'
                | '\u{F0000}'..='\u{FFFFD}'
                | '\u{100000}'..='\u{10FFFD}'
        )
}

/// `s` without the characters of [`is_unwanted`], and how many there were.
/// An export from an old site may hold them; Dateline refuses articles that
/// do, so the importer removes them and reports the count.
pub(crate) fn strip_controls(s: &str) -> (String, usize) {
    let mut removed = 0;
    let kept = s
        .chars()
        .filter(|&c| {
            let unwanted = is_unwanted(c);
            removed += usize::from(unwanted);
            !unwanted
        })
        .collect();
    (kept, removed)
}

/// A slug as WordPress stores it, percent-encoded (`%d8%a8%d8%ba…`), decoded
/// to the text it spells (`بغ…`). Bytes that are not UTF-8 become U+FFFD;
/// letter case is left alone (a `%41` stays `A`, WordPress's own `%D8`
/// hexadecimal case does not matter).
pub fn percent_decode_slug(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether `s` begins with `prefix`, ASCII letters compared without case.
pub(crate) fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Whether `s` holds nothing but ASCII whitespace (HTML's whitespace; a
/// line of it is what CommonMark calls blank).
pub(crate) fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_whitespace())
}

/// `s` without ASCII whitespace at either end (a no-break space is text).
pub(crate) fn trim_ascii(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii_whitespace())
}

/// Where `needle` (ASCII) first occurs in `hay`, ASCII letters compared
/// without case.
pub(crate) fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// `s` with its words separated by single spaces, no space at either end.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` with HTML character references decoded: numeric ones (`&#8217;`,
/// `&#x2019;`, the semicolon optional as browsers read them) and the named
/// ones old posts commonly hold. Unknown names stay as written. Numbers in
/// 128–159 are read as Windows-1252, as browsers do (old sites wrote
/// `&#146;` for ’); zero, surrogates and numbers past Unicode give U+FFFD.
pub(crate) fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match reference(after) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The reference at the start of `s` (just after its `&`): what it stands
/// for and how many bytes of `s` it used.
fn reference(s: &str) -> Option<(String, usize)> {
    if let Some(num) = s.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let len = digits
            .bytes()
            .take_while(|b| char::from(*b).is_digit(radix))
            .count();
        if len == 0 {
            return None;
        }
        let value = u32::from_str_radix(&digits[..len.min(8)], radix).unwrap_or(u32::MAX);
        let semicolon = usize::from(digits[len..].starts_with(';'));
        return Some((numeric_char(value).to_string(), skip + len + semicolon));
    }
    let len = s.bytes().take_while(u8::is_ascii_alphanumeric).count();
    if len == 0 || !s[len..].starts_with(';') {
        return None;
    }
    named_entity(&s[..len]).map(|c| (c.to_string(), len + 1))
}

/// The character a numeric reference names, as browsers read it.
fn numeric_char(value: u32) -> char {
    const WINDOWS_1252: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039,
        0x152, 0x8D, 0x17D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178,
    ];
    let value = match value {
        0x80..=0x9F => WINDOWS_1252[(value - 0x80) as usize],
        other => other,
    };
    if value == 0 {
        return char::REPLACEMENT_CHARACTER;
    }
    char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The named references WordPress content commonly holds.
fn named_entity(name: &str) -> Option<char> {
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "laquo" => '«',
        "raquo" => '»',
        "lsaquo" => '‹',
        "rsaquo" => '›',
        "hellip" => '…',
        "bull" => '•',
        "middot" => '·',
        "prime" => '′',
        "Prime" => '″',
        "dagger" => '†',
        "Dagger" => '‡',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "sect" => '§',
        "para" => '¶',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "minus" => '−',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "iexcl" => '¡',
        "iquest" => '¿',
        "shy" => '\u{AD}',
        "thinsp" => '\u{2009}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "zwnj" => '\u{200C}',
        "zwj" => '\u{200D}',
        "lrm" => '\u{200E}',
        "rlm" => '\u{200F}',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        _ => return latin_letter(name),
    };
    Some(c)
}

/// Accented Latin letters by their entity names (`eacute`, `Uuml`, `szlig`).
fn latin_letter(name: &str) -> Option<char> {
    // Each mark: the letters that take it, and those letters with it.
    const MARKS: [(&str, &str, &str); 6] = [
        ("grave", "aeiou", "àèìòù"),
        ("acute", "aeiouy", "áéíóúý"),
        ("circ", "aeiou", "âêîôû"),
        ("tilde", "ano", "ãñõ"),
        ("uml", "aeiouy", "äëïöüÿ"),
        ("ring", "a", "å"),
    ];
    match name {
        "szlig" => return Some('ß'),
        "ccedil" => return Some('ç'),
        "Ccedil" => return Some('Ç'),
        "aelig" => return Some('æ'),
        "AElig" => return Some('Æ'),
        "oslash" => return Some('ø'),
        "Oslash" => return Some('Ø'),
        _ => {}
    }
    let base = name.chars().next()?;
    let mark = name.get(base.len_utf8()..)?;
    let (_, bases, marked) = MARKS.iter().find(|(m, _, _)| *m == mark)?;
    let index = bases.find(base.to_ascii_lowercase())?;
    let small = marked.chars().nth(index)?;
    if base.is_ascii_uppercase() {
        small.to_uppercase().next()
    } else {
        Some(small)
    }
}

/// One piece of HTML as [`pieces`] cuts it.
#[derive(Debug)]
pub(crate) enum Piece<'a> {
    /// Text between tags, entities not decoded.
    Text(&'a str),
    /// A start or end tag.
    Tag(Tag<'a>),
    /// A comment (`<!-- … -->`) or a declaration or processing instruction
    /// (`<!DOCTYPE …>`, `<?php … ?>`): markup no reader sees.
    Comment(&'a str),
}

impl<'a> Piece<'a> {
    /// The piece as written.
    pub(crate) fn as_str(&self) -> &'a str {
        match self {
            Piece::Text(t) | Piece::Comment(t) => t,
            Piece::Tag(tag) => tag.raw,
        }
    }
}

/// A start or end tag.
#[derive(Debug)]
pub(crate) struct Tag<'a> {
    /// The tag as written, `<` to `>`.
    pub(crate) raw: &'a str,
    /// Its name in lower case.
    pub(crate) name: String,
    /// An end tag (`</p>`).
    pub(crate) closing: bool,
    /// Written self-closing (`<br />`).
    pub(crate) self_closing: bool,
    /// Its attributes: lower-cased names, values as written (entities not
    /// decoded, quotes removed).
    attributes: Vec<(String, &'a str)>,
}

impl Tag<'_> {
    /// The value of attribute `name` (lower case) as written, if present.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// `html` cut into text, tags and comments, in order. A `<` that does not
/// begin a tag is text; an unterminated comment runs to the end, as
/// browsers read it.
pub(crate) fn pieces(html: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut text_from = 0;
    let mut at = 0;
    while let Some(found) = html[at..].find('<') {
        let start = at + found;
        let (piece, end) = match markup_at(html, start) {
            Some(found) => found,
            // A tag left open ran to the end: the rest is text (browsers
            // drop it), and no later `<` is scanned to the end again.
            None if starts_tag_name(html, start) => break,
            None => {
                at = start + 1;
                continue;
            }
        };
        if text_from < start {
            out.push(Piece::Text(&html[text_from..start]));
        }
        out.push(piece);
        text_from = end;
        at = end;
    }
    if text_from < html.len() {
        out.push(Piece::Text(&html[text_from..]));
    }
    out
}

/// Whether `<` at `start` is followed by a tag name (after a `/` or not).
fn starts_tag_name(html: &str, start: usize) -> bool {
    let rest = &html.as_bytes()[start + 1..];
    let rest = rest.strip_prefix(b"/").unwrap_or(rest);
    rest.first().is_some_and(u8::is_ascii_alphabetic)
}

/// The comment or tag that begins at `start` (a `<`), and where it ends.
fn markup_at(html: &str, start: usize) -> Option<(Piece<'_>, usize)> {
    let rest = &html[start..];
    if let Some(body) = rest.strip_prefix("<!--") {
        let end = body.find("-->").map_or(html.len(), |i| start + 4 + i + 3);
        return Some((Piece::Comment(&html[start..end]), end));
    }
    if rest.starts_with("<!") || rest.starts_with("<?") {
        let end = rest.find('>').map_or(html.len(), |i| start + i + 1);
        return Some((Piece::Comment(&html[start..end]), end));
    }
    let tag = parse_tag(html, start)?;
    let end = start + tag.raw.len();
    Some((Piece::Tag(tag), end))
}

/// The tag that begins at byte `start` of `html` (a `<`), if one does:
/// `<` or `</`, an ASCII letter, and attributes up to a `>` outside quotes.
pub(crate) fn parse_tag(html: &str, start: usize) -> Option<Tag<'_>> {
    let b = html.as_bytes();
    if b.get(start) != Some(&b'<') {
        return None;
    }
    let mut i = start + 1;
    let closing = b.get(i) == Some(&b'/');
    i += usize::from(closing);
    if !b.get(i)?.is_ascii_alphabetic() {
        return None;
    }
    let name_start = i;
    while i < b.len() && !ends_name(b[i]) {
        i += 1;
    }
    let name = html[name_start..i].to_ascii_lowercase();
    let mut attributes = Vec::new();
    let mut slash = false;
    loop {
        match *b.get(i)? {
            b'>' => break,
            b'/' => {
                slash = true;
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                slash = false;
                let (attribute, next) = parse_attribute(html, i)?;
                attributes.push(attribute);
                i = next;
            }
        }
    }
    Some(Tag {
        raw: &html[start..=i],
        name,
        closing,
        self_closing: slash,
        attributes,
    })
}

/// Whether `b` ends a tag or attribute name.
fn ends_name(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b'/' || b == b'>'
}

/// The attribute that begins at `i`, and where the scan goes on.
fn parse_attribute(html: &str, mut i: usize) -> Option<((String, &str), usize)> {
    let b = html.as_bytes();
    let name_start = i;
    // A name's first character may be `=`, as browsers read `<a =x>`.
    i += 1;
    while i < b.len() && !ends_name(b[i]) && b[i] != b'=' {
        i += 1;
    }
    let name = html[name_start..i].to_ascii_lowercase();
    let mut j = i;
    while j < b.len() && b[j].is_ascii_whitespace() {
        j += 1;
    }
    if b.get(j) != Some(&b'=') {
        return Some(((name, ""), i));
    }
    j += 1;
    while j < b.len() && b[j].is_ascii_whitespace() {
        j += 1;
    }
    match *b.get(j)? {
        quote @ (b'"' | b'\'') => {
            let len = html[j + 1..].find(char::from(quote))?;
            let value = &html[j + 1..j + 1 + len];
            Some(((name, value), j + len + 2))
        }
        _ => {
            let len = html[j..]
                .find(|c: char| c.is_ascii_whitespace() || c == '>')
                .unwrap_or(html.len() - j);
            Some(((name, &html[j..j + len]), j + len))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("بغداد"), "بغداد");
    }

    #[test]
    fn strips_controls_and_counts_them() {
        let (s, n) = strip_controls("a\u{0}b\u{1b}c\td\ne\rf\u{7f}g\u{85}h\u{9f}");
        assert_eq!((s.as_str(), n), ("abc\td\ne\rfgh", 5));
        let (s, n) = strip_controls("x\u{FFFE}y\u{FFFF}z\u{E000}\u{F8FF}\u{F0000}!");
        assert_eq!((s.as_str(), n), ("xyz!", 5));
        let (s, n) = strip_controls("مرحبا 👋 é\u{200F}");
        assert_eq!((s.as_str(), n), ("مرحبا 👋 é\u{200F}", 0));
    }

    #[test]
    fn decodes_percent_encoded_slugs() {
        assert_eq!(
            percent_decode_slug("%d8%a8%d8%ba%d8%af%d8%a7%d8%af"),
            "بغداد"
        );
        assert_eq!(percent_decode_slug("%D8%A8%D8%BA-news"), "بغ-news");
        assert_eq!(percent_decode_slug("plain-Slug"), "plain-Slug");
        assert_eq!(percent_decode_slug("bad-%ff-%zz-%"), "bad-\u{FFFD}-%zz-%");
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(
            decode_entities("Tom &amp; Jerry&#8217;s &quot;x&quot; &#x2014; &hellip;"),
            "Tom & Jerry’s \"x\" — …"
        );
        assert_eq!(
            decode_entities("&eacute;t&eacute; &Uuml;ber &szlig; &ntilde;"),
            "été Über ß ñ"
        );
        assert_eq!(decode_entities("it&#146;s"), "it’s");
        assert_eq!(
            decode_entities("&#0; &#xD800; &#99999999999;"),
            "\u{FFFD} \u{FFFD} \u{FFFD}"
        );
        assert_eq!(decode_entities("&#65&#66;"), "AB");
        assert_eq!(
            decode_entities("AT&T &unknown; & &; &#; &#x;"),
            "AT&T &unknown; & &; &#; &#x;"
        );
        assert_eq!(decode_entities("&amp;amp;"), "&amp;");
        assert_eq!(decode_entities("ends with &"), "ends with &");
    }

    #[test]
    fn cuts_html_into_pieces() {
        let html = r#"a <b>bold</b><!-- note --> <img src="x.png" alt='a > b'/> 3 < 4 <br>"#;
        let kinds: Vec<String> = pieces(html)
            .iter()
            .map(|p| match p {
                Piece::Text(t) => format!("T({t})"),
                Piece::Comment(c) => format!("C({c})"),
                Piece::Tag(t) => format!(
                    "{}{}{}",
                    if t.closing { "/" } else { "" },
                    t.name,
                    if t.self_closing { "/" } else { "" }
                ),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "T(a )",
                "b",
                "T(bold)",
                "/b",
                "C(<!-- note -->)",
                "T( )",
                "img/",
                "T( 3 < 4 )",
                "br"
            ]
        );
    }

    #[test]
    fn reads_attributes() {
        let html = r#"<A HREF="/x?a=1&amp;b=2" title='it"s' data-x=plain checked class = "c">"#;
        let tag = parse_tag(html, 0).expect("a tag");
        assert_eq!(tag.name, "a");
        assert_eq!(tag.raw, html);
        assert_eq!(tag.attr("href"), Some("/x?a=1&amp;b=2"));
        assert_eq!(tag.attr("title"), Some("it\"s"));
        assert_eq!(tag.attr("data-x"), Some("plain"));
        assert_eq!(tag.attr("checked"), Some(""));
        assert_eq!(tag.attr("class"), Some("c"));
        assert_eq!(tag.attr("id"), None);
        let unquoted = parse_tag("<a href=/x/>", 0).expect("a tag");
        assert_eq!(unquoted.attr("href"), Some("/x/"));
        assert!(!unquoted.self_closing);
    }

    #[test]
    fn unterminated_markup_is_text_or_runs_to_the_end() {
        assert!(parse_tag("<a href=\"x", 0).is_none());
        assert!(parse_tag("<a", 0).is_none());
        assert!(parse_tag("< a>", 0).is_none());
        assert!(parse_tag("</>", 0).is_none());
        let p = pieces("x <!-- never closed <p>");
        assert!(matches!(
            p.as_slice(),
            [Piece::Text("x "), Piece::Comment(_)]
        ));
        let p = pieces("<b>x</b> <a title=\"open <i>y</i>");
        assert!(matches!(
            p.as_slice(),
            [
                Piece::Tag(_),
                Piece::Text("x"),
                Piece::Tag(_),
                Piece::Text(" <a title=\"open <i>y</i>")
            ]
        ));
        for s in ["<", "<<", "</", "<!", "<!-", "<a =>", "<a b='>", "é<ü>ö"] {
            let _ = pieces(s);
        }
    }
}
