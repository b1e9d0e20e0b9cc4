//! The column types polars' csv schema inference gives a whole file, found without its regexes.
//!
//! polars infers a csv column's type by matching every value against three regexes (boolean, float,
//! integer); over every row of a large file that is most of the cost of reading it. This module
//! classifies values by hand with exactly the regexes' definitions and combines them as polars'
//! `finish_infer_field_schema` does, so handing the result to polars gives the frame full inference
//! gives. It answers only for plain files, where splitting lines and fields is unambiguous: no quote
//! character anywhere, every record with the header's number of fields, and no value whose type
//! depends on Unicode rules (a non-ASCII value in a column that is not text) or on polars' wide
//! integers (one beyond i64). For anything else it says `None`, and the caller lets polars infer.

use polars::prelude::DataType;
use rayon::prelude::*;

/// The types a column's values have shown so far (polars' set of type possibilities).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Seen {
    boolean: bool,
    int: bool,
    float: bool,
    text: bool,
    /// A value this module does not classify: only a text column tolerates one.
    unsure: bool,
}

impl Seen {
    fn merge(&mut self, other: &Seen) {
        self.boolean |= other.boolean;
        self.int |= other.int;
        self.float |= other.float;
        self.text |= other.text;
        self.unsure |= other.unsure;
    }

    /// polars' rule: one type is that type, integers with floats are floats, anything else mixed
    /// (or nothing at all: a column of gaps) is text. Text absorbs every other possibility.
    fn dtype(&self) -> Option<DataType> {
        if self.text {
            return Some(DataType::String);
        }
        if self.unsure {
            return None;
        }
        Some(match (self.boolean, self.int, self.float) {
            (true, false, false) => DataType::Boolean,
            (false, true, false) => DataType::Int64,
            (false, _, true) => DataType::Float64,
            _ => DataType::String,
        })
    }

    fn add(&mut self, value: &[u8]) {
        match classify(value) {
            Some(Kind::Boolean) => self.boolean = true,
            Some(Kind::Int) => self.int = true,
            Some(Kind::Float) => self.float = true,
            Some(Kind::Text) => self.text = true,
            None => self.unsure = true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Boolean,
    Int,
    Float,
    Text,
}

/// One non-null value's type, as polars' `infer_field_schema` (without date parsing) decides it:
/// `^(?i:true|false)$`, then `^[-+]?((\d*\.\d+)([eE][-+]?\d+)?|inf|NaN|(\d+)[eE][-+]?\d+|\d+\.)$`,
/// then `^-?(\d+)$` (an i64, else a wider integer). `None`: non-ASCII (the regexes' `\d` and case
/// folding are Unicode's) or an integer beyond i64.
fn classify(value: &[u8]) -> Option<Kind> {
    if !value.is_ascii() {
        return None;
    }
    if value.eq_ignore_ascii_case(b"true") || value.eq_ignore_ascii_case(b"false") {
        return Some(Kind::Boolean);
    }
    if is_float(value) {
        return Some(Kind::Float);
    }
    let digits = value.strip_prefix(b"-").unwrap_or(value);
    if is_digits(digits) {
        // ASCII digits with an optional '-': valid UTF-8, and i64's parser agrees with the regex.
        let text = std::str::from_utf8(value).ok()?;
        return text.parse::<i64>().ok().map(|_| Kind::Int);
    }
    Some(Kind::Text)
}

fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn is_float(value: &[u8]) -> bool {
    let s = match value.first() {
        Some(b'+' | b'-') => &value[1..],
        _ => value,
    };
    if s == b"inf" || s == b"NaN" {
        return true;
    }
    let (mantissa, exponent) = match s.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if let Some(e) = exponent {
        let e = match e.first() {
            Some(b'+' | b'-') => &e[1..],
            _ => e,
        };
        if !is_digits(e) {
            return false;
        }
    }
    let all_digits = |p: &[u8]| p.iter().all(u8::is_ascii_digit);
    match mantissa.iter().position(|&b| b == b'.') {
        // `\d*\.\d+` takes an exponent; `\d+\.` does not.
        Some(i) => {
            let (whole, fraction) = (&mantissa[..i], &mantissa[i + 1..]);
            all_digits(whole)
                && all_digits(fraction)
                && (!fraction.is_empty() || (exponent.is_none() && !whole.is_empty()))
        }
        // `\d+[eE][-+]?\d+`: digits only with an exponent.
        None => exponent.is_some() && is_digits(mantissa),
    }
}

/// The columns' types of a csv file's `bytes` (header first) under polars' full inference, or
/// `None` when the file is not plain (see the module comment). `null_values` are read as gaps, as
/// polars reads them: they add no type.
///
/// With `only` (column names), the columns not named (but the last) are not classified and come
/// back as text: for a caller that then reads only those columns. A name not in the header exactly
/// once classifies every column.
pub fn infer(
    bytes: &[u8],
    separator: u8,
    null_values: &[String],
    only: Option<&[String]>,
) -> Option<Vec<DataType>> {
    if separator == b'"' || separator == b'\n' || memchr::memchr(b'"', bytes).is_some() {
        return None;
    }
    let header_end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    let header = strip_cr(&bytes[..header_end]);
    // A byte order mark or other non-ASCII header, or a blank first line: polars' own rules.
    if header.is_empty() || !header.is_ascii() {
        return None;
    }
    let names: Vec<&[u8]> = header.split(|&b| b == separator).collect();
    let width = names.len();
    let wanted: Vec<bool> = match only {
        Some(only)
            if only
                .iter()
                .all(|w| names.iter().filter(|n| **n == w.as_bytes()).count() == 1) =>
        {
            (0..width)
                .map(|j| j + 1 == width || only.iter().any(|w| w.as_bytes() == names[j]))
                .collect()
        }
        _ => vec![true; width],
    };
    let body = bytes.get(header_end + 1..).unwrap_or_default();
    let seen = chunks(body)
        .into_par_iter()
        .map(|chunk| scan(chunk, separator, &wanted, null_values))
        .collect::<Option<Vec<Vec<Seen>>>>()?;
    let mut total = vec![Seen::default(); width];
    for part in &seen {
        for (t, s) in total.iter_mut().zip(part) {
            t.merge(s);
        }
    }
    total
        .iter()
        .zip(&wanted)
        .map(|(s, &w)| if w { s.dtype() } else { Some(DataType::String) })
        .collect()
}

/// Pieces of about 1 MiB that end at a newline (a record boundary: the file has no quotes). The
/// merge is a union, so the pieces' order and the thread count do not change the result.
fn chunks(body: &[u8]) -> Vec<&[u8]> {
    const PIECE: usize = 1 << 20;
    let mut out = Vec::new();
    let mut rest = body;
    while rest.len() > PIECE {
        let end = match memchr::memchr(b'\n', &rest[PIECE..]) {
            Some(i) => PIECE + i + 1,
            None => rest.len(),
        };
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out.push(rest);
    out
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The types seen in whole records, of the `wanted` columns (the others are split off, not
/// classified); `None` for a record whose field count is not the header's (a ragged file, whose
/// messages the caller's polars path gives). One SIMD search finds every separator and newline of
/// the chunk in turn; a record's last field loses a trailing `\r`.
fn scan(chunk: &[u8], separator: u8, wanted: &[bool], null_values: &[String]) -> Option<Vec<Seen>> {
    let width = wanted.len();
    let mut seen = vec![Seen::default(); width];
    let add = |s: &mut Seen, value: &[u8]| {
        if !(s.text || value.is_empty() || null_values.iter().any(|n| n.as_bytes() == value)) {
            s.add(value);
        }
    };
    // Unwanted columns start as text, which every later value leaves as it is.
    for (s, &w) in seen.iter_mut().zip(wanted) {
        s.text = !w;
    }
    let (mut column, mut start) = (0usize, 0usize);
    let ends = memchr::memchr2_iter(separator, b'\n', chunk).chain(std::iter::once(chunk.len()));
    for end in ends {
        let value = &chunk[start..end];
        start = end + 1;
        if end < chunk.len() && chunk[end] == separator {
            // A field before the record's last: one too many makes the record ragged.
            if column + 1 >= width {
                return None;
            }
            add(&mut seen[column], value);
            column += 1;
            continue;
        }
        let value = strip_cr(value);
        // A blank line is no record, and would add no type.
        if column == 0 && value.is_empty() {
            continue;
        }
        if column + 1 != width {
            return None;
        }
        add(&mut seen[column], value);
        column = 0;
    }
    Some(seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::io::csv::read::schema_inference::infer_field_schema;

    /// Every value's type agrees with polars' own (regex) inference on values at the edges of the
    /// regexes.
    #[test]
    fn values_are_classified_as_polars_classifies_them() {
        let values = [
            "true",
            "FALSE",
            "True",
            "tru",
            "truee",
            "0",
            "-0",
            "00",
            "+5",
            "-5",
            "5-",
            "--5",
            "1.5",
            "-1.5",
            "+1.5",
            ".5",
            "-.5",
            "5.",
            "-5.",
            ".",
            "-.",
            "1.e5",
            "1.5e5",
            "1.5E-5",
            "1.5e+05",
            "1e5",
            "-1E5",
            "+1e-5",
            "1e",
            "e5",
            "1e+",
            "1e5.5",
            "1.5.5",
            "inf",
            "-inf",
            "+inf",
            "Inf",
            "infinity",
            "NaN",
            "-NaN",
            "nan",
            "NAN",
            "1,5",
            " 1",
            "1 ",
            "abc",
            "9223372036854775807",
            "-9223372036854775808",
            "0x10",
            "1_000",
            "1.5f",
            "2013-01-01",
            "N14228",
            "\t",
            "1\r2",
        ];
        for v in values {
            let theirs = infer_field_schema(v, false, false);
            let ours = match classify(v.as_bytes()) {
                Some(Kind::Boolean) => DataType::Boolean,
                Some(Kind::Int) => DataType::Int64,
                Some(Kind::Float) => DataType::Float64,
                Some(Kind::Text) => DataType::String,
                None => panic!("`{v}` left unclassified"),
            };
            assert_eq!(ours, theirs, "value `{v}`");
        }
        // Beyond i64, and non-ASCII digits and letters, are left to polars.
        assert_eq!(classify(b"9223372036854775808"), None);
        assert_eq!(classify("\u{661}\u{662}".as_bytes()), None);
        assert_eq!(classify("fal\u{17f}e".as_bytes()), None);
    }

    #[test]
    fn columns_combine_as_polars_combines_them() {
        let nulls = ["".to_string(), "NA".to_string()];
        let types = infer(
            b"i,f,mixed,b,gaps,text,both\n1,1.5,1,true,,x,1\n2,2,2.5,false,NA,y,true\n",
            b',',
            &nulls,
            None,
        );
        assert_eq!(
            types,
            Some(vec![
                DataType::Int64,
                DataType::Float64,
                DataType::Float64,
                DataType::Boolean,
                DataType::String,
                DataType::String,
                DataType::String,
            ])
        );
        // Quotes, ragged records, a byte order mark and unsure values: polars decides.
        assert_eq!(infer(b"a,b\n\"1\",2\n", b',', &nulls, None), None);
        assert_eq!(infer(b"a,b\n1,2,3\n", b',', &nulls, None), None);
        assert_eq!(infer(b"a,b\n1\n", b',', &nulls, None), None);
        assert_eq!(infer("\u{feff}a\n1\n".as_bytes(), b',', &nulls, None), None);
        assert_eq!(
            infer(b"a\n99999999999999999999\n", b',', &nulls, None),
            None
        );
        // Blank lines and a CR before the newline are no values; a non-ASCII value in a column that
        // is text anyway is text, elsewhere polars decides.
        assert_eq!(infer("a;b\n1;é\n".as_bytes(), b';', &nulls, None), None);
        assert_eq!(
            infer("a;b\r\n1;x\r\n\r\n2;é\r\n".as_bytes(), b';', &nulls, None),
            Some(vec![DataType::Int64, DataType::String])
        );
    }

    /// With `only`, the other columns (but the last) are split off unclassified and read as
    /// text, so a value there that would make polars decide (one beyond i64) no longer does; a
    /// name not in the header classifies every column.
    #[test]
    fn only_the_named_columns_and_the_last_are_classified() {
        let nulls = ["".to_string()];
        let file = b"a,big,c,d\n1,99999999999999999999,2.5,x\n2,1,3,y\n";
        let only = ["c".to_string()];
        assert_eq!(
            infer(file, b',', &nulls, Some(&only)),
            Some(vec![
                DataType::String,
                DataType::String,
                DataType::Float64,
                DataType::String,
            ])
        );
        let absent = ["c".to_string(), "zz".to_string()];
        assert_eq!(infer(file, b',', &nulls, Some(&absent)), None);
        // A record with too many or too few fields is still ragged.
        assert_eq!(infer(b"a,b\n1,2,3\n", b',', &nulls, Some(&only)), None);
        assert_eq!(infer(b"a,b\n1\n", b',', &nulls, Some(&only)), None);
    }

    #[test]
    fn pieces_end_at_record_boundaries() {
        let line = b"12345,abc\n";
        let body: Vec<u8> = line
            .iter()
            .copied()
            .cycle()
            .take(line.len() * 300_000)
            .collect();
        let pieces = chunks(&body);
        assert!(pieces.len() > 2);
        assert_eq!(pieces.iter().map(|p| p.len()).sum::<usize>(), body.len());
        assert!(pieces.iter().all(|p| p.ends_with(b"\n")));
    }
}
