//! The fast path of `kiln serve`'s POST /predict: the rows of a well-formed body
//! `{"rows": [{"column": value, ...}, ...]}` read straight into the model's input columns.
//!
//! Reading the body into a `serde_json::Value` first builds an ordered map per row, with a hashed,
//! allocated key per cell: profiled under load, that was most of a request's time. Here each key is
//! matched to its input column (first against the column the same position held in the previous
//! row, as rows usually list their keys in one order) and each value goes into that column's cells.
//!
//! Only the common case is read here. Anything unusual (not this shape, invalid JSON, a duplicate or
//! missing key, an escaped key, a nested value, a value its column cannot take) returns None, and
//! the caller takes the exact path (`columns_from_json`), which names what is wrong. So the two
//! paths answer every body alike; the fuzz target `fuzz_serve_request` checks that they agree.

use super::input::{column_from_cells, Cell};
use crate::artifact::InputColumn;
use crate::data::Column;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashMap;
use std::fmt;

/// Reads bodies for one model: its input columns, indexed by name once (not per request).
pub struct RowReader {
    inputs: Vec<InputColumn>,
    by_name: HashMap<String, usize>,
}

impl RowReader {
    pub fn new(inputs: &[InputColumn]) -> Self {
        RowReader {
            inputs: inputs.to_vec(),
            by_name: inputs
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name.clone(), i))
                .collect(),
        }
    }

    /// The model's input columns and the number of rows, or None: take the exact path.
    pub fn read(&self, body: &[u8]) -> Option<(Vec<Column>, usize)> {
        let mut rows = Rows {
            reader: self,
            cells: vec![Vec::new(); self.inputs.len()],
            seen_in_row: vec![0; self.inputs.len()],
            order: Vec::new(),
            n_rows: 0,
            found: false,
        };
        // Checked whole first: skipping a value (an extra column) does not check its text, and
        // the exact path refuses a body that is not UTF-8 anywhere (found by fuzz_serve_request).
        let body = std::str::from_utf8(body).ok()?;
        let mut de = serde_json::Deserializer::from_str(body);
        BodySeed(&mut rows).deserialize(&mut de).ok()?;
        de.end().ok()?;
        if !rows.found {
            return None;
        }
        let columns = self
            .inputs
            .iter()
            .zip(&rows.cells)
            .map(|(input, cells)| column_from_cells(input, cells.iter().copied(), 0).ok())
            .collect::<Option<Vec<Column>>>()?;
        Some((columns, rows.n_rows))
    }
}

/// The cells of one body read so far, one list per input column.
struct Rows<'i, 'de> {
    reader: &'i RowReader,
    cells: Vec<Vec<Cell<'de>>>,
    /// For each input column, the number of the last row (1-based) that gave it a value.
    seen_in_row: Vec<usize>,
    /// The column each key position matched in the previous row.
    order: Vec<usize>,
    n_rows: usize,
    found: bool,
}

impl Rows<'_, '_> {
    /// The input column of the `position`-th key of a row, if the key names one.
    fn column_of(&mut self, key: &str, position: usize) -> Option<usize> {
        let inputs = &self.reader.inputs;
        if let Some(&c) = self.order.get(position) {
            if c < inputs.len() && inputs[c].name == key {
                return Some(c);
            }
        }
        let c = self.reader.by_name.get(key).copied();
        let slot = c.unwrap_or(usize::MAX);
        match self.order.get_mut(position) {
            Some(o) => *o = slot,
            None => self.order.push(slot),
        }
        c
    }
}

fn fallback<E: de::Error>() -> E {
    E::custom("not the common case")
}

/// A value the model does not use (an extra column, another key of the body), read in full as the
/// exact path reads it: skipping it (`IgnoredAny`) does not check a lone surrogate escape or a
/// number out of range, which the exact path refuses (found by fuzz_serve_request).
type Unused = serde_json::Value;

/// The body: an object whose "rows" is read; other keys are skipped, as the exact path does.
struct BodySeed<'r, 'i, 'de>(&'r mut Rows<'i, 'de>);

impl<'de> DeserializeSeed<'de> for BodySeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a body object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<&'de str>()? {
            if key == "rows" {
                if self.0.found {
                    return Err(fallback());
                }
                self.0.found = true;
                map.next_value_seed(RowsSeed(&mut *self.0))?;
            } else {
                map.next_value::<Unused>()?;
            }
        }
        Ok(())
    }
}

/// The array of rows.
struct RowsSeed<'r, 'i, 'de>(&'r mut Rows<'i, 'de>);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RowSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One row: an object of column -> value, every input column present exactly once.
struct RowSeed<'r, 'i, 'de>(&'r mut Rows<'i, 'de>);

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let rows = self.0;
        rows.n_rows += 1;
        let row = rows.n_rows;
        let mut position = 0;
        let mut filled = 0;
        while let Some(key) = map.next_key::<&'de str>()? {
            match rows.column_of(key, position) {
                Some(c) => {
                    if rows.seen_in_row[c] == row {
                        return Err(fallback()); // a duplicate key: the exact path decides
                    }
                    rows.seen_in_row[c] = row;
                    filled += 1;
                    let cell = map.next_value_seed(CellSeed)?;
                    rows.cells[c].push(cell);
                }
                None => {
                    // An extra column, carried by the caller and unused; any value is fine.
                    map.next_value::<Unused>()?;
                }
            }
            position += 1;
        }
        if filled != rows.reader.inputs.len() {
            return Err(fallback()); // a missing column: the exact path names it
        }
        Ok(())
    }
}

/// One value: null, a boolean, a number or an unescaped string.
struct CellSeed;

impl<'de> DeserializeSeed<'de> for CellSeed {
    type Value = Cell<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cell<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed {
    type Value = Cell<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a cell")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Missing)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Cell<'de>, E> {
        Ok(Cell::Bool(v))
    }
    // As `serde_json::Number::as_f64` converts them on the exact path.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell<'de>, E> {
        Ok(Cell::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell<'de>, E> {
        Ok(Cell::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cell<'de>, E> {
        Ok(Cell::Number(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnKind;
    use crate::predict::input::columns_from_json;

    fn inputs() -> Vec<InputColumn> {
        [
            ("area", ColumnKind::Numeric),
            ("town", ColumnKind::Categorical),
        ]
        .iter()
        .map(|(n, k)| InputColumn {
            name: n.to_string(),
            kind: *k,
            categories: Vec::new(),
        })
        .collect()
    }

    /// The exact path's columns for the same body.
    fn exact(body: &str) -> Result<Vec<Column>, String> {
        let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let rows = v["rows"].as_array().ok_or("no rows")?;
        columns_from_json(&inputs(), rows).map_err(|e| e.message)
    }

    #[test]
    fn well_formed_rows_read_as_the_exact_path_reads_them() {
        for body in [
            r#"{"rows": [{"area": 1200, "town": "A"}, {"town": "B", "area": 3.5}]}"#,
            r#"{"rows": [{"area": null, "town": null, "extra": [1, {"x": 2}]}], "id": 7}"#,
            r#"{"rows": []}"#,
            r#"{"rows": [{"area": -1e300, "town": "Ames"}, {"area": 18446744073709551615, "town": "A"}]}"#,
        ] {
            let (fast, n) = RowReader::new(&inputs()).read(body.as_bytes()).expect(body);
            assert_eq!(
                format!("{fast:?}"),
                format!("{:?}", exact(body).unwrap()),
                "{body}"
            );
            assert_eq!(
                n,
                serde_json::from_str::<serde_json::Value>(body).unwrap()["rows"]
                    .as_array()
                    .unwrap()
                    .len()
            );
        }
    }

    #[test]
    fn anything_unusual_goes_to_the_exact_path() {
        for body in [
            "",
            "[]",
            "{\"rows\": 3}",
            "{}",
            r#"{"rows": [{"area": 1}]}"#,
            r#"{"rows": [{"area": 1, "town": "A", "area": 2}]}"#,
            r#"{"rows": [{"area": [1], "town": "A"}]}"#,
            r#"{"rows": [{"area": "big", "town": "A"}]}"#,
            r#"{"rows": [{"area": 1, "town": "A\u00e9"}]}"#,
            r#"{"rows": [{"area": 1, "town": "A"}]} trailing"#,
            r#"{"rows": [], "rows": []}"#,
            r#"{"rows": [7]}"#,
        ] {
            assert!(
                RowReader::new(&inputs()).read(body.as_bytes()).is_none(),
                "{body}"
            );
        }
        // Found by fuzz_serve_request: invalid UTF-8 in an extra column's value, which the exact
        // path refuses with 400 and skipping the value did not notice.
        let mut body = br#"{"rows": [{"area": 1, "town": "A", "year": "20"#.to_vec();
        body.extend_from_slice(b"\xb208\"}]}");
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
        assert!(RowReader::new(&inputs()).read(&body).is_none());
        // Found by fuzz_serve_request: a lone surrogate escape, and a number out of range, in an
        // extra column or another key of the body.
        for body in [
            r#"{"rows": [{"area": 1, "town": "A", "species": "Adelid990\udd91e"}]}"#,
            r#"{"rows": [{"area": 1, "town": "A", "id": 1e400}]}"#,
            r#"{"id": "\ud800", "rows": [{"area": 1, "town": "A"}]}"#,
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(body).is_err(),
                "{body}"
            );
            assert!(
                RowReader::new(&inputs()).read(body.as_bytes()).is_none(),
                "{body}"
            );
        }
    }
}
