//! The tensors of the Open Inference Protocol's infer requests and responses, in both of its forms:
//! JSON (`"data"`: a flat or nested array, row-major) and the binary tensor extension (the JSON
//! header, then each tensor's raw little-endian bytes, a BYTES element as a 4-byte length and its
//! bytes), which Triton's clients use by default. A request's tensors are read into the cells the
//! other routes read (`predict::input::Cell`), so a value means the same whichever route it takes.

use crate::predict::input::{json_type, Cell};
use serde_json::{json, Map, Value};

/// The protocol's tensor element types that kiln reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    Bool,
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    Bytes,
}

const ALL: [DataType; 12] = [
    DataType::Bool,
    DataType::U8,
    DataType::U16,
    DataType::U32,
    DataType::U64,
    DataType::I8,
    DataType::I16,
    DataType::I32,
    DataType::I64,
    DataType::F32,
    DataType::F64,
    DataType::Bytes,
];

impl DataType {
    pub fn name(self) -> &'static str {
        match self {
            DataType::Bool => "BOOL",
            DataType::U8 => "UINT8",
            DataType::U16 => "UINT16",
            DataType::U32 => "UINT32",
            DataType::U64 => "UINT64",
            DataType::I8 => "INT8",
            DataType::I16 => "INT16",
            DataType::I32 => "INT32",
            DataType::I64 => "INT64",
            DataType::F32 => "FP32",
            DataType::F64 => "FP64",
            DataType::Bytes => "BYTES",
        }
    }

    fn parse(s: &str) -> Result<DataType, String> {
        ALL.into_iter().find(|d| d.name() == s).ok_or_else(|| {
            let names: Vec<&str> = ALL.iter().map(|d| d.name()).collect();
            format!(
                "datatype \"{s}\" is not one kiln reads; use one of {}",
                names.join(", ")
            )
        })
    }

    /// Bytes per element in the binary form (BYTES elements carry their own lengths).
    fn width(self) -> Option<usize> {
        match self {
            DataType::Bool | DataType::U8 | DataType::I8 => Some(1),
            DataType::U16 | DataType::I16 => Some(2),
            DataType::U32 | DataType::I32 | DataType::F32 => Some(4),
            DataType::U64 | DataType::I64 | DataType::F64 => Some(8),
            DataType::Bytes => None,
        }
    }

    pub fn is_number(self) -> bool {
        !matches!(self, DataType::Bool | DataType::Bytes)
    }
}

/// One input tensor of a request, read into cells (one per row: kiln takes a column per input).
#[derive(Debug)]
pub struct InputTensor<'a> {
    pub name: &'a str,
    pub datatype: DataType,
    pub(crate) cells: Vec<Cell<'a>>,
}

/// An output the request asked for, and whether it wants it in binary.
#[derive(Debug)]
pub struct RequestedOutput<'a> {
    pub name: &'a str,
    pub binary: Option<bool>,
}

/// An infer request, read.
#[derive(Debug)]
pub struct InferRequest<'a> {
    pub id: Option<&'a str>,
    pub inputs: Vec<InputTensor<'a>>,
    /// None: every output.
    pub outputs: Option<Vec<RequestedOutput<'a>>>,
    /// `parameters.binary_data_output`: outputs not asked for by name come in binary.
    pub binary_output: bool,
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} is {}; expected an object", json_type(v)))
}

/// A boolean parameter (absent: None).
fn flag(params: Option<&Value>, key: &str, what: &str) -> Result<Option<bool>, String> {
    let Some(p) = params else { return Ok(None) };
    match object(p, &format!("{what}'s \"parameters\""))?.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!(
            "{what}'s parameter \"{key}\" is {}; expected true or false",
            json_type(other)
        )),
    }
}

/// Reads an infer request: `header` is its JSON, `binary` what followed it (the binary tensor
/// extension; empty without it). Errors say which input and which element is wrong.
pub fn read_request<'a>(header: &'a Value, binary: &'a [u8]) -> Result<InferRequest<'a>, String> {
    let body = object(header, "the request")?;
    let id = match body.get("id") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => return Err(format!("\"id\" is {}; expected a string", json_type(other))),
    };
    let binary_output = flag(body.get("parameters"), "binary_data_output", "the request")?;
    let inputs = match body.get("inputs") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) => return Err("\"inputs\" is empty; send one tensor per column".into()),
        Some(other) => {
            return Err(format!(
                "\"inputs\" is {}; expected an array of tensors {{\"name\", \"shape\", \"datatype\", \"data\"}}",
                json_type(other)
            ))
        }
        None => return Err("the request has no \"inputs\"".into()),
    };
    let mut rest = binary;
    let mut tensors = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        tensors.push(read_input(input, i, &mut rest)?);
    }
    if !rest.is_empty() {
        return Err(format!(
            "{} bytes of binary data follow the last input that declares some \
             (parameters.binary_data_size)",
            rest.len()
        ));
    }
    let outputs = match body.get("outputs") {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .enumerate()
                .map(|(i, o)| {
                    let what = format!("output {}", i + 1);
                    let o = object(o, &what)?;
                    let Some(Value::String(name)) = o.get("name") else {
                        return Err(format!("{what} has no \"name\" string"));
                    };
                    let binary = flag(
                        o.get("parameters"),
                        "binary_data",
                        &format!("output `{name}`"),
                    )?;
                    Ok(RequestedOutput { name, binary })
                })
                .collect::<Result<Vec<_>, String>>()?,
        ),
        Some(other) => {
            return Err(format!(
                "\"outputs\" is {}; expected an array",
                json_type(other)
            ))
        }
    };
    Ok(InferRequest {
        id,
        inputs: tensors,
        outputs,
        binary_output: binary_output.unwrap_or(false),
    })
}

/// The number of elements of a shape kiln takes: [N] or [N, 1], one column per input.
fn rows_of_shape(shape: &Value, name: &str) -> Result<usize, String> {
    let bad = || {
        format!(
            "input `{name}` has shape {shape}; kiln takes one tensor per column, of shape [N] or [N, 1]"
        )
    };
    let dims: Vec<u64> = shape
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|d| d.as_u64().ok_or_else(bad))
        .collect::<Result<_, _>>()?;
    match dims[..] {
        [n] | [n, 1] => usize::try_from(n).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn read_input<'a>(
    input: &'a Value,
    i: usize,
    rest: &mut &'a [u8],
) -> Result<InputTensor<'a>, String> {
    let o = object(input, &format!("input {}", i + 1))?;
    let Some(Value::String(name)) = o.get("name") else {
        return Err(format!("input {} has no \"name\" string", i + 1));
    };
    let datatype = match o.get("datatype") {
        Some(Value::String(d)) => DataType::parse(d).map_err(|e| format!("input `{name}`: {e}"))?,
        _ => return Err(format!("input `{name}` has no \"datatype\" string")),
    };
    let rows = rows_of_shape(o.get("shape").unwrap_or(&Value::Null), name)?;
    let binary_size = match o.get("parameters") {
        None => None,
        Some(p) => match object(p, &format!("input `{name}`'s \"parameters\""))?
            .get("binary_data_size")
        {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        format!("input `{name}`: binary_data_size is {v}; expected a byte count")
                    })?,
            ),
        },
    };
    let cells = match (binary_size, o.get("data")) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "input `{name}` has both \"data\" and binary_data_size; send one"
            ))
        }
        (Some(size), None) => {
            if size > rest.len() {
                return Err(format!(
                    "input `{name}` declares {size} bytes of binary data; {} remain in the body",
                    rest.len()
                ));
            }
            let (mine, after) = rest.split_at(size);
            *rest = after;
            binary_cells(mine, datatype, name)?
        }
        (None, Some(data)) => json_cells(data, datatype, name)?,
        (None, None) => return Err(format!("input `{name}` has no \"data\"")),
    };
    if cells.len() != rows {
        return Err(format!(
            "input `{name}` has {} elements; its shape says {rows}",
            cells.len()
        ));
    }
    Ok(InputTensor {
        name,
        datatype,
        cells,
    })
}

/// The elements of a JSON `data` array, flat or nested, in row-major order. `null` is a missing
/// value (JSON has no NaN).
fn json_cells<'a>(
    data: &'a Value,
    datatype: DataType,
    name: &str,
) -> Result<Vec<Cell<'a>>, String> {
    fn flatten<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
            other => out.push(other),
        }
    }
    if !data.is_array() {
        return Err(format!(
            "input `{name}`: \"data\" is {}; expected an array",
            json_type(data)
        ));
    }
    let mut flat = Vec::new();
    flatten(data, &mut flat);
    flat.into_iter()
        .enumerate()
        .map(|(i, v)| match (v, datatype) {
            (Value::Null, _) => Ok(Cell::Missing),
            (Value::Number(n), d) if d.is_number() => {
                n.as_f64().map(Cell::Number).ok_or_else(|| {
                    format!(
                        "input `{name}` row {}: {n} is not a number kiln can read",
                        i + 1
                    )
                })
            }
            (Value::Bool(b), DataType::Bool) => Ok(Cell::Bool(*b)),
            // A BYTES tensor has no null: its empty element is a missing value, as an empty CSV
            // field is.
            (Value::String(s), DataType::Bytes) if s.is_empty() => Ok(Cell::Missing),
            (Value::String(s), DataType::Bytes) => Ok(Cell::Text(s)),
            (other, d) => Err(format!(
                "input `{name}` row {}: {} in a tensor of datatype {}",
                i + 1,
                json_type(other),
                d.name()
            )),
        })
        .collect()
}

/// The elements of a tensor's binary data.
fn binary_cells<'a>(
    bytes: &'a [u8],
    datatype: DataType,
    name: &str,
) -> Result<Vec<Cell<'a>>, String> {
    let Some(width) = datatype.width() else {
        return strings(bytes, name);
    };
    if !bytes.len().is_multiple_of(width) {
        return Err(format!(
            "input `{name}`: {} bytes of binary data are not a whole number of {} elements ({width} bytes each)",
            bytes.len(),
            datatype.name()
        ));
    }
    let number = |x: f64| {
        if x.is_nan() {
            Cell::Missing
        } else {
            Cell::Number(x)
        }
    };
    Ok(bytes
        .chunks_exact(width)
        .map(|b| match datatype {
            DataType::Bool => Cell::Bool(b[0] != 0),
            DataType::U8 => Cell::Number(f64::from(b[0])),
            DataType::I8 => Cell::Number(f64::from(i8::from_le_bytes([b[0]]))),
            DataType::U16 => Cell::Number(f64::from(u16::from_le_bytes([b[0], b[1]]))),
            DataType::I16 => Cell::Number(f64::from(i16::from_le_bytes([b[0], b[1]]))),
            DataType::U32 => Cell::Number(f64::from(u32::from_le_bytes(four(b)))),
            DataType::I32 => Cell::Number(f64::from(i32::from_le_bytes(four(b)))),
            DataType::F32 => number(f64::from(f32::from_le_bytes(four(b)))),
            // 64-bit integers past 2^53 round to the nearest double, as JSON numbers do.
            DataType::U64 => Cell::Number(u64::from_le_bytes(eight(b)) as f64),
            DataType::I64 => Cell::Number(i64::from_le_bytes(eight(b)) as f64),
            DataType::F64 => number(f64::from_le_bytes(eight(b))),
            DataType::Bytes => unreachable!("BYTES has no fixed width"),
        })
        .collect())
}

fn four(b: &[u8]) -> [u8; 4] {
    [b[0], b[1], b[2], b[3]]
}

fn eight(b: &[u8]) -> [u8; 8] {
    [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// BYTES elements in binary: each a 4-byte little-endian length and that many bytes (UTF-8 here:
/// a category is text).
fn strings<'a>(mut bytes: &'a [u8], name: &str) -> Result<Vec<Cell<'a>>, String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let row = out.len() + 1;
        let cut = || format!("input `{name}` row {row}: the binary BYTES element is cut short");
        if bytes.len() < 4 {
            return Err(cut());
        }
        let len = u32::from_le_bytes(four(bytes)) as usize;
        let rest = &bytes[4..];
        if len > rest.len() {
            return Err(cut());
        }
        let text = std::str::from_utf8(&rest[..len])
            .map_err(|_| format!("input `{name}` row {row}: the element is not UTF-8 text"))?;
        out.push(if text.is_empty() {
            Cell::Missing
        } else {
            Cell::Text(text)
        });
        bytes = &rest[len..];
    }
    Ok(out)
}

/// The elements of an output tensor.
pub enum OutputData<'a> {
    F64(Vec<f64>),
    I64(Vec<i64>),
    Bytes(Vec<&'a str>),
}

/// One output tensor of a response.
pub struct OutputTensor<'a> {
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub data: OutputData<'a>,
}

impl OutputTensor<'_> {
    pub fn datatype(&self) -> DataType {
        match self.data {
            OutputData::F64(_) => DataType::F64,
            OutputData::I64(_) => DataType::I64,
            OutputData::Bytes(_) => DataType::Bytes,
        }
    }

    /// The tensor's JSON: with its `data`, or, sent in binary, with its `binary_data_size`.
    fn json(&self, binary_size: Option<usize>) -> Value {
        let mut t = json!({
            "name": self.name,
            "datatype": self.datatype().name(),
            "shape": self.shape,
        });
        match binary_size {
            Some(size) => t["parameters"] = json!({ "binary_data_size": size }),
            None => {
                t["data"] = match &self.data {
                    OutputData::F64(v) => json!(v),
                    OutputData::I64(v) => json!(v),
                    OutputData::Bytes(v) => json!(v),
                }
            }
        }
        t
    }

    fn binary(&self) -> Vec<u8> {
        match &self.data {
            OutputData::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            OutputData::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            OutputData::Bytes(v) => {
                let mut out = Vec::new();
                for s in v {
                    // A category is far below 4 GiB: the request that carried it was read whole.
                    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
                out
            }
        }
    }
}

/// A response body: its JSON header, and when some outputs are binary, the header's length
/// (for the `Inference-Header-Content-Length` header) with their bytes after it.
pub struct EncodedResponse {
    pub body: Vec<u8>,
    pub header_length: Option<usize>,
}

/// Writes the response: `outputs` with whether each goes in binary.
pub fn write_response(
    head: Map<String, Value>,
    outputs: &[(OutputTensor, bool)],
) -> EncodedResponse {
    let mut tail = Vec::new();
    let tensors: Vec<Value> = outputs
        .iter()
        .map(|(t, binary)| {
            if *binary {
                let bytes = t.binary();
                let j = t.json(Some(bytes.len()));
                tail.extend_from_slice(&bytes);
                j
            } else {
                t.json(None)
            }
        })
        .collect();
    let mut head = head;
    head.insert("outputs".into(), Value::Array(tensors));
    let mut body = Value::Object(head).to_string().into_bytes();
    let header_length = outputs.iter().any(|(_, b)| *b).then_some(body.len());
    body.extend_from_slice(&tail);
    EncodedResponse {
        body,
        header_length,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(cells: &[Cell]) -> Vec<f64> {
        cells
            .iter()
            .map(|c| match c {
                Cell::Number(x) => *x,
                Cell::Missing => f64::NAN,
                _ => panic!("a number"),
            })
            .collect()
    }

    #[test]
    fn json_tensors_flat_or_nested_read_the_same() {
        let flat = json!({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1.5, null, 3]}]});
        let nested = json!({"inputs": [{"name": "x", "shape": [3, 1], "datatype": "FP64", "data": [[1.5], [null], [3]]}]});
        for body in [flat, nested] {
            let r = read_request(&body, &[]).unwrap();
            let x = numbers(&r.inputs[0].cells);
            assert_eq!((x[0], x[2]), (1.5, 3.0));
            assert!(x[1].is_nan());
        }
    }

    #[test]
    fn binary_tensors_read_as_their_json_twins() {
        let mut bytes: Vec<u8> = [2.5f64, -1.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        for s in ["Pave", "Grvl"] {
            bytes.extend_from_slice(&(s.len() as u32).to_le_bytes());
            bytes.extend_from_slice(s.as_bytes());
        }
        bytes.extend_from_slice(&7i32.to_le_bytes());
        let body = json!({"inputs": [
            {"name": "x", "shape": [2, 1], "datatype": "FP64", "parameters": {"binary_data_size": 16}},
            {"name": "s", "shape": [2], "datatype": "BYTES", "parameters": {"binary_data_size": 16}},
            {"name": "k", "shape": [1], "datatype": "INT32", "parameters": {"binary_data_size": 4}},
        ]});
        let r = read_request(&body, &bytes).unwrap();
        assert_eq!(numbers(&r.inputs[0].cells), [2.5, -1.0]);
        assert!(matches!(
            r.inputs[1].cells[..],
            [Cell::Text("Pave"), Cell::Text("Grvl")]
        ));
        assert_eq!(numbers(&r.inputs[2].cells), [7.0]);
        // A byte too many, or too few, is refused.
        let mut more = bytes.clone();
        more.push(0);
        assert!(read_request(&body, &more)
            .unwrap_err()
            .contains("1 bytes of binary data follow"));
        assert!(read_request(&body, &bytes[..30])
            .unwrap_err()
            .contains("remain in the body"));
    }

    #[test]
    fn malformed_tensors_name_the_input_and_row() {
        let cases = [
            (json!([]), "the request is an array"),
            (json!({}), "no \"inputs\""),
            (json!({"inputs": []}), "\"inputs\" is empty"),
            (
                json!({"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1]}]}),
                "has 1 elements; its shape says 2",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]}),
                "[N] or [N, 1]",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [-1], "datatype": "FP64", "data": [1]}]}),
                "[N] or [N, 1]",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1], "datatype": "FLOAT", "data": [1]}]}),
                "datatype \"FLOAT\"",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, "a"]}]}),
                "row 2: a string in a tensor of datatype FP64",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": [1]}]}),
                "row 1: a number in a tensor of datatype BYTES",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64"}]}),
                "no \"data\"",
            ),
            (
                json!({"inputs": [{"shape": [1], "datatype": "FP64", "data": [1]}]}),
                "no \"name\"",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": 1}]}),
                "\"data\" is a number",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}], "outputs": [{}]}),
                "output 1 has no \"name\"",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}], "parameters": {"binary_data_output": 1}}),
                "expected true or false",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}], "id": 3}),
                "\"id\" is a number",
            ),
        ];
        for (body, expected) in cases {
            let e = read_request(&body, &[])
                .err()
                .unwrap_or_else(|| panic!("{body} was read"));
            assert!(e.contains(expected), "{body}: {e}");
        }
        let bad_utf8 = [1u8, 0, 0, 0, 0xff];
        let body = json!({"inputs": [{"name": "s", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": 5}}]});
        assert!(read_request(&body, &bad_utf8)
            .unwrap_err()
            .contains("not UTF-8"));
        let body = json!({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "parameters": {"binary_data_size": 3}}]});
        assert!(read_request(&body, &[0, 0, 0])
            .unwrap_err()
            .contains("whole number"));
    }

    #[test]
    fn responses_carry_binary_outputs_after_the_header() {
        let outputs = [
            (
                OutputTensor {
                    name: "prediction",
                    shape: vec![2],
                    data: OutputData::Bytes(vec!["a", "bc"]),
                },
                true,
            ),
            (
                OutputTensor {
                    name: "probabilities",
                    shape: vec![2, 1],
                    data: OutputData::F64(vec![0.25, 1.0]),
                },
                false,
            ),
        ];
        let r = write_response(Map::new(), &outputs);
        let n = r.header_length.unwrap();
        let head: Value = serde_json::from_slice(&r.body[..n]).unwrap();
        assert_eq!(head["outputs"][0]["parameters"]["binary_data_size"], 11);
        assert_eq!(head["outputs"][1]["data"], json!([0.25, 1.0]));
        assert_eq!(&r.body[n..], b"\x01\x00\x00\x00a\x02\x00\x00\x00bc");
        let json_only = write_response(Map::new(), &outputs[1..]);
        assert_eq!(json_only.header_length, None);
    }
}
