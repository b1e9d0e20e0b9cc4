//! The part of onnx.proto an exported model uses, written out for prost with the field numbers of
//! onnx/onnx.proto, so no protoc and no build script are needed. Fields left out are ones kiln never
//! writes; a reader skips them by number in any case.
//!
//! onnx.proto is proto2; the fields here are written proto3 style (a default value is not written),
//! which a proto2 reader takes as the same default.

/// `TensorProto.DataType` values kiln writes.
pub const UINT8: i32 = 2;
pub const INT64: i32 = 7;
pub const STRING: i32 = 8;
pub const DOUBLE: i32 = 11;

/// `AttributeProto.AttributeType` values kiln writes.
pub const ATTR_INT: i32 = 2;
pub const ATTR_TENSOR: i32 = 4;
pub const ATTR_INTS: i32 = 7;
pub const ATTR_STRINGS: i32 = 8;

#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelProto {
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
    #[prost(string, tag = "2")]
    pub producer_name: String,
    #[prost(string, tag = "3")]
    pub producer_version: String,
    #[prost(string, tag = "6")]
    pub doc_string: String,
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    #[prost(message, repeated, tag = "14")]
    pub metadata_props: Vec<StringStringEntryProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OperatorSetIdProto {
    #[prost(string, tag = "1")]
    pub domain: String,
    #[prost(int64, tag = "2")]
    pub version: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StringStringEntryProto {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    #[prost(string, tag = "10")]
    pub doc_string: String,
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    #[prost(string, tag = "3")]
    pub name: String,
    #[prost(string, tag = "4")]
    pub op_type: String,
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    #[prost(string, tag = "7")]
    pub domain: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AttributeProto {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(int32, tag = "20")]
    pub r#type: i32,
    #[prost(int64, tag = "3")]
    pub i: i64,
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    #[prost(int64, repeated, tag = "8")]
    pub ints: Vec<i64>,
    #[prost(bytes = "vec", repeated, tag = "9")]
    pub strings: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    #[prost(bytes = "vec", repeated, tag = "6")]
    pub string_data: Vec<Vec<u8>>,
    #[prost(string, tag = "8")]
    pub name: String,
    /// Numbers as little-endian bytes, as onnx.proto prescribes for raw_data.
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProto {
    #[prost(oneof = "type_proto::Value", tags = "1")]
    pub value: Option<type_proto::Value>,
}

pub mod type_proto {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        #[prost(message, tag = "1")]
        TensorType(Tensor),
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tensor {
        #[prost(int32, tag = "1")]
        pub elem_type: i32,
        #[prost(message, optional, tag = "2")]
        pub shape: Option<super::TensorShapeProto>,
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<tensor_shape_proto::Dimension>,
}

pub mod tensor_shape_proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Dimension {
        #[prost(oneof = "dimension::Value", tags = "1, 2")]
        pub value: Option<dimension::Value>,
    }

    pub mod dimension {
        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum Value {
            #[prost(int64, tag = "1")]
            DimValue(i64),
            #[prost(string, tag = "2")]
            DimParam(String),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// A model with every message kind encodes and decodes to itself.
    #[test]
    fn a_model_round_trips_through_prost() {
        let tensor = TensorProto {
            dims: vec![2],
            data_type: DOUBLE,
            name: "w".into(),
            raw_data: [1.5f64, -2.0]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
            ..Default::default()
        };
        let dim = |v| tensor_shape_proto::Dimension { value: Some(v) };
        let model = ModelProto {
            ir_version: 10,
            opset_import: vec![OperatorSetIdProto {
                domain: "ai.onnx.ml".into(),
                version: 5,
            }],
            producer_name: "kiln".into(),
            graph: Some(GraphProto {
                name: "g".into(),
                node: vec![NodeProto {
                    input: vec!["x".into(), "w".into()],
                    output: vec!["y".into()],
                    op_type: "MatMul".into(),
                    attribute: vec![AttributeProto {
                        name: "keys".into(),
                        r#type: ATTR_STRINGS,
                        strings: vec![b"a".to_vec()],
                        t: Some(tensor.clone()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                initializer: vec![tensor],
                input: vec![ValueInfoProto {
                    name: "x".into(),
                    r#type: Some(TypeProto {
                        value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                            elem_type: DOUBLE,
                            shape: Some(TensorShapeProto {
                                dim: vec![
                                    dim(tensor_shape_proto::dimension::Value::DimParam("N".into())),
                                    dim(tensor_shape_proto::dimension::Value::DimValue(2)),
                                ],
                            }),
                        })),
                    }),
                }],
                ..Default::default()
            }),
            metadata_props: vec![StringStringEntryProto {
                key: "k".into(),
                value: "v".into(),
            }],
            ..Default::default()
        };
        let bytes = model.encode_to_vec();
        assert_eq!(ModelProto::decode(&bytes[..]).unwrap(), model);
    }

    /// The bytes of one field are those onnx.proto's numbering gives: ir_version is field 1, a
    /// varint (tag byte 0x08), and the graph is field 7, length-delimited (0x3a).
    #[test]
    fn field_numbers_are_onnx_protos() {
        let model = ModelProto {
            ir_version: 10,
            graph: Some(GraphProto {
                name: "g".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(model.encode_to_vec(), [0x08, 10, 0x3a, 3, 0x12, 1, b'g']);
    }
}
