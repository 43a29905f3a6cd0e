//! PHP's `serialize()` format, which WordPress uses for some post meta
//! (`a:2:{i:0;s:3:"one";…}`), read into plain values, and meta values as
//! text for the importer to map onto fields.
//!
//! It reads data from any site, so it must never panic and never allocate
//! more than the input justifies: lengths are byte lengths, checked against
//! what is left; element counts larger than the input could hold, nesting
//! deeper than [`MAX_DEPTH`], references, custom-serialized objects and
//! enums are refused, and nothing is ever evaluated.

use crate::text;

/// How deeply arrays and objects may nest.
pub const MAX_DEPTH: usize = 32;

/// How many values [`meta_text`] gives at most.
pub const MAX_META_VALUES: usize = 100;

/// The fewest bytes one array element can take (`i:0;N;`), to refuse counts
/// the input cannot hold before allocating for them.
const MIN_ELEMENT_BYTES: usize = 6;

/// A value as PHP serialized it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `N;`
    Null,
    /// `b:0;` or `b:1;`
    Bool(bool),
    /// `i:12;`
    Int(i64),
    /// `d:1.5;`
    Float(f64),
    /// `s:5:"hello";`
    Str(String),
    /// `a:N:{key;value;…}`: keys are `Int` or `Str`, in the order written.
    Array(Vec<(Value, Value)>),
    /// `O:LEN:"Class":N:{…}`: the class name and its properties.
    Object(String, Vec<(Value, Value)>),
}

/// Reads `s` as one serialized value, all of it. Anything else — another
/// format, trailing bytes, a length that does not match, a string cut inside
/// a character — gives `None`.
pub fn unserialize(s: &str) -> Option<Value> {
    let mut reader = Reader { s, at: 0 };
    let value = reader.value(0)?;
    (reader.at == s.len()).then_some(value)
}

/// A meta value as text: plain text trimmed (nothing if empty); a serialized
/// string or number as that one value; a serialized array or object as its
/// string and number leaves in order (booleans and nulls skipped), at most
/// [`MAX_META_VALUES`]. Data that looks serialized but does not parse gives
/// nothing rather than its raw syntax. Values are trimmed, empty ones left
/// out, control characters removed.
pub fn meta_text(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Vec::new();
    }
    if !looks_serialized(raw) {
        return clean_values(vec![raw.to_owned()]);
    }
    let mut leaves = Vec::new();
    if let Some(value) = unserialize(raw) {
        collect_leaves(&value, &mut leaves);
    }
    clean_values(leaves)
}

/// Whether `s` starts the way a serialized scalar, array or object does.
fn looks_serialized(s: &str) -> bool {
    s.starts_with("N;")
        || ["a:", "s:", "O:", "i:", "b:", "d:"]
            .iter()
            .any(|p| s.starts_with(p))
}

/// Pushes the text of `value`'s string and number leaves, in order, until
/// there are [`MAX_META_VALUES`].
fn collect_leaves(value: &Value, out: &mut Vec<String>) {
    if out.len() >= MAX_META_VALUES {
        return;
    }
    match value {
        Value::Null | Value::Bool(_) => {}
        Value::Int(i) => out.push(i.to_string()),
        Value::Float(f) if f.is_finite() => out.push(f.to_string()),
        Value::Float(_) => {}
        Value::Str(s) => out.push(s.clone()),
        Value::Array(items) | Value::Object(_, items) => {
            for (_, item) in items {
                collect_leaves(item, out);
            }
        }
    }
}

/// `values` trimmed, without control characters, empty ones dropped.
fn clean_values(values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| text::strip_controls(v.trim()).0.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// A position in the serialized text.
struct Reader<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    /// The value that starts here, nested `depth` containers deep.
    fn value(&mut self, depth: usize) -> Option<Value> {
        let kind = *self.s.as_bytes().get(self.at)?;
        self.at += 1;
        if kind == b'N' {
            self.expect(b';')?;
            return Some(Value::Null);
        }
        self.expect(b':')?;
        match kind {
            b'b' => match self.until(b';')? {
                "0" => Some(Value::Bool(false)),
                "1" => Some(Value::Bool(true)),
                _ => None,
            },
            b'i' => Some(Value::Int(parse_int(self.until(b';')?)?)),
            b'd' => Some(Value::Float(parse_float(self.until(b';')?)?)),
            b's' => {
                let s = self.string()?;
                self.expect(b';')?;
                Some(Value::Str(s.to_owned()))
            }
            b'a' => Some(Value::Array(self.elements(depth + 1)?)),
            b'O' => {
                let class = self.string()?.to_owned();
                self.expect(b':')?;
                Some(Value::Object(class, self.elements(depth + 1)?))
            }
            _ => None,
        }
    }

    /// `LEN:"…"`: exactly LEN bytes between the quotes, cut at character
    /// boundaries.
    fn string(&mut self) -> Option<&'a str> {
        let len = parse_len(self.until(b':')?)?;
        self.expect(b'"')?;
        let end = self.at.checked_add(len)?;
        let s = self.s.get(self.at..end)?;
        self.at = end;
        self.expect(b'"')?;
        Some(s)
    }

    /// `N:{…}` of an array or object at `depth`: N key and value pairs.
    fn elements(&mut self, depth: usize) -> Option<Vec<(Value, Value)>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let count = parse_len(self.until(b':')?)?;
        self.expect(b'{')?;
        let left = self.s.len() - self.at;
        if count > left / MIN_ELEMENT_BYTES {
            return None;
        }
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            let key = self.value(depth)?;
            if !matches!(key, Value::Int(_) | Value::Str(_)) {
                return None;
            }
            let value = self.value(depth)?;
            items.push((key, value));
        }
        self.expect(b'}')?;
        Some(items)
    }

    /// Steps over `byte`, which must come next.
    fn expect(&mut self, byte: u8) -> Option<()> {
        if self.s.as_bytes().get(self.at) != Some(&byte) {
            return None;
        }
        self.at += 1;
        Some(())
    }

    /// The text up to the next `end` (a number, which is short: at most 32
    /// bytes are searched), stepping over `end`.
    fn until(&mut self, end: u8) -> Option<&'a str> {
        let rest = &self.s.as_bytes()[self.at..];
        let len = rest.iter().take(33).position(|&b| b == end)?;
        let found = self.s.get(self.at..self.at + len)?;
        self.at += len + 1;
        Some(found)
    }
}

/// An integer as PHP writes one: optional sign, ASCII digits.
fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A length or count: ASCII digits only.
fn parse_len(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A float as PHP writes one (`1.5`, `-2`, `1.0E+25`, `INF`, `-INF`, `NAN`).
fn parse_float(s: &str) -> Option<f64> {
    match s {
        "INF" => return Some(f64::INFINITY),
        "-INF" => return Some(f64::NEG_INFINITY),
        "NAN" => return Some(f64::NAN),
        _ => {}
    }
    let numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    if s.is_empty() || !numeric {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    #[test]
    fn reads_scalars() {
        assert_eq!(unserialize("N;"), Some(Value::Null));
        assert_eq!(unserialize("b:0;"), Some(Value::Bool(false)));
        assert_eq!(unserialize("b:1;"), Some(Value::Bool(true)));
        assert_eq!(unserialize("i:12;"), Some(Value::Int(12)));
        assert_eq!(unserialize("i:-7;"), Some(Value::Int(-7)));
        assert_eq!(unserialize("d:1.5;"), Some(Value::Float(1.5)));
        assert_eq!(unserialize("d:1.0E+25;"), Some(Value::Float(1.0e25)));
        assert_eq!(
            unserialize("d:-INF;"),
            Some(Value::Float(f64::NEG_INFINITY))
        );
        assert_eq!(unserialize(r#"s:5:"hello";"#), Some(s("hello")));
        assert_eq!(unserialize(r#"s:0:"";"#), Some(s("")));
    }

    #[test]
    fn string_lengths_are_bytes() {
        // "بغ" is two characters and four bytes.
        assert_eq!(unserialize(r#"s:4:"بغ";"#), Some(s("بغ")));
        assert_eq!(unserialize(r#"s:2:"بغ";"#), None);
        // Three bytes would cut the second letter in half.
        assert_eq!(unserialize(r#"s:3:"بغ";"#), None);
        assert_eq!(unserialize(r#"s:4:"👋";"#), Some(s("👋")));
        // The length is used, not the quote: a quote inside is content.
        assert_eq!(unserialize(r#"s:8:"say "hi"";"#), Some(s(r#"say "hi""#)));
        assert_eq!(unserialize("s:3:\"a\u{0}b\";"), Some(s("a\u{0}b")));
    }

    #[test]
    fn reads_arrays_and_objects() {
        let v = unserialize(r#"a:2:{i:0;s:3:"one";s:3:"key";a:1:{i:5;d:0.5;}}"#);
        assert_eq!(
            v,
            Some(Value::Array(vec![
                (Value::Int(0), s("one")),
                (
                    s("key"),
                    Value::Array(vec![(Value::Int(5), Value::Float(0.5))])
                ),
            ]))
        );
        let o = unserialize(r#"O:8:"stdClass":2:{s:1:"a";i:1;s:4:"name";s:6:"بغد";}"#);
        assert_eq!(
            o,
            Some(Value::Object(
                "stdClass".to_owned(),
                vec![(s("a"), Value::Int(1)), (s("name"), s("بغد"))]
            ))
        );
        assert_eq!(unserialize("a:0:{}"), Some(Value::Array(vec![])));
    }

    #[test]
    fn refuses_malformed_input_without_panicking() {
        let bad = [
            "",
            "x",
            "N",
            "b:2;",
            "b:;",
            "i:;",
            "i:1.5;",
            "i:99999999999999999999;",
            "i:12",
            "d:abc;",
            "s:5:\"hi\";",
            "s:-1:\"\";",
            "s:99999999999999999999999:\"x\";",
            "s:2:\"hi\"",
            "s:2:\"hi';",
            "s:2:hi;",
            "a:1:{i:0;s:1:\"x\";",
            "a:1:{i:0;s:1:\"x\";}}",
            "a:2:{i:0;N;}",
            "a:1:{N;i:1;}",
            "a:1:{a:0:{}i:1;}",
            "a:999999999:{}",
            "a:18446744073709551615:{i:0;N;}",
            "O:3:\"Foo\":1:{s:1:\"a\";}",
            "O:9:\"Foo\":0:{}",
            "r:1;",
            "R:1;",
            "C:3:\"Foo\":0:{}",
            "E:7:\"Foo:Bar\";",
            "i:1;garbage",
            " i:1;",
            "i:1; ",
        ];
        for input in bad {
            assert_eq!(unserialize(input), None, "{input:?}");
        }
        let full = r#"a:2:{i:0;s:4:"بغ";s:1:"k";a:1:{i:0;O:1:"C":1:{s:1:"p";d:2.5;}}}"#;
        assert!(unserialize(full).is_some());
        for end in 0..full.len() {
            if let Some(prefix) = full.get(..end) {
                assert_eq!(unserialize(prefix), None, "{prefix:?}");
            }
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        let nested = |depth: usize| format!("{}N;{}", "a:1:{i:0;".repeat(depth), "}".repeat(depth));
        assert!(unserialize(&nested(MAX_DEPTH)).is_some());
        assert_eq!(unserialize(&nested(MAX_DEPTH + 1)), None);
        assert_eq!(unserialize(&nested(100_000)), None);
    }

    #[test]
    fn meta_text_of_plain_values() {
        assert_eq!(meta_text("  Jane Doe \n"), ["Jane Doe"]);
        assert!(meta_text("   ").is_empty());
        assert!(meta_text("").is_empty());
        assert_eq!(
            meta_text("a:b is not serialized? it is: a: then b"),
            Vec::<String>::new()
        );
        assert_eq!(meta_text("an ordinary value"), ["an ordinary value"]);
        assert_eq!(meta_text("with\u{1}control"), ["withcontrol"]);
    }

    #[test]
    fn meta_text_of_serialized_values() {
        assert_eq!(meta_text(r#"s:4:"بغ";"#), ["بغ"]);
        assert_eq!(meta_text("i:42;"), ["42"]);
        assert_eq!(meta_text("d:2.5;"), ["2.5"]);
        assert!(meta_text("b:1;").is_empty());
        assert!(meta_text("N;").is_empty());
        assert_eq!(
            meta_text(
                r#"a:5:{i:0;s:5:"first";s:1:"n";i:7;i:1;b:1;i:2;N;s:3:"sub";a:2:{i:0;d:0.5;i:1;s:6:" last ";}}"#
            ),
            ["first", "7", "0.5", "last"]
        );
        assert_eq!(
            meta_text(r#"O:8:"stdClass":1:{s:4:"name";s:4:"Jane";}"#),
            ["Jane"]
        );
    }

    #[test]
    fn meta_text_of_broken_serialized_values_is_empty() {
        for raw in [
            "a:1:{i:0;s:9:\"short\";}",
            "s:9:\"short\";",
            "i:abc;",
            "b:",
            "N;x",
            "O:1:",
        ] {
            assert!(meta_text(raw).is_empty(), "{raw:?}");
        }
    }

    #[test]
    fn meta_text_keeps_at_most_a_hundred_values() {
        let items: String = (0..150).map(|i| format!("i:{i};i:{i};")).collect();
        let values = meta_text(&format!("a:150:{{{items}}}"));
        assert_eq!(values.len(), MAX_META_VALUES);
        assert_eq!(values.first().map(String::as_str), Some("0"));
        assert_eq!(values.last().map(String::as_str), Some("99"));
    }
}
