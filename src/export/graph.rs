//! A small builder of ONNX graphs: nodes with fresh output names, constants as initializers, typed
//! inputs and outputs. Every tensor kiln puts in a graph goes through here, so names never collide.

use super::proto::{
    self, tensor_shape_proto::dimension::Value as Dim, AttributeProto, NodeProto, TensorProto,
    TypeProto, ValueInfoProto,
};
use std::collections::HashSet;

/// The ONNX domain of the classical machine-learning operators (LabelEncoder, TreeEnsemble).
pub const ML: &str = "ai.onnx.ml";

#[derive(Default)]
pub struct Graph {
    pub nodes: Vec<NodeProto>,
    pub initializers: Vec<TensorProto>,
    pub inputs: Vec<ValueInfoProto>,
    pub outputs: Vec<ValueInfoProto>,
    count: usize,
    /// The graph's input and output names, which no made-up name may take.
    taken: HashSet<String>,
}

/// One attribute of a node.
pub enum Attr {
    Int(i64),
    Ints(Vec<i64>),
    Strs(Vec<String>),
    Tensor(TensorProto),
}

impl Graph {
    /// A name no other tensor of the graph has (inputs are column names, which may be anything).
    fn fresh(&mut self, hint: &str) -> String {
        loop {
            self.count += 1;
            let name = format!("{hint}#{}", self.count);
            if !self.taken.contains(&name) {
                return name;
            }
        }
    }

    /// Keeps `name` (an input or output) from the names [`Self::fresh`] makes.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_string());
    }

    /// A node of the default domain with one output; returns the output's name.
    pub fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<(&str, Attr)>) -> String {
        self.op_in("", op, inputs, attrs, 1).remove(0)
    }

    /// A node of `domain` with `n_outputs` outputs; returns their names.
    pub fn op_in(
        &mut self,
        domain: &str,
        op: &str,
        inputs: &[&str],
        attrs: Vec<(&str, Attr)>,
        n_outputs: usize,
    ) -> Vec<String> {
        let output: Vec<String> = (0..n_outputs).map(|_| self.fresh(op)).collect();
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: output.clone(),
            name: output[0].clone(),
            op_type: op.into(),
            attribute: attrs.into_iter().map(|(n, a)| attribute(n, a)).collect(),
            domain: domain.into(),
        });
        output
    }

    /// The node that gives an existing tensor its final name (a graph output).
    pub fn rename(&mut self, from: &str, to: &str) {
        self.nodes.push(NodeProto {
            input: vec![from.into()],
            output: vec![to.into()],
            name: to.into(),
            op_type: "Identity".into(),
            ..Default::default()
        });
    }

    /// A constant tensor of doubles of shape `dims`.
    pub fn doubles(&mut self, dims: &[usize], values: &[f64]) -> String {
        let t = double_tensor(dims, values);
        self.constant(t)
    }

    /// A constant tensor of int64 of shape `dims`.
    pub fn ints(&mut self, dims: &[usize], values: &[i64]) -> String {
        let mut t = tensor(proto::INT64, dims);
        t.raw_data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.constant(t)
    }

    /// A constant tensor of strings of shape `dims`.
    pub fn strings(&mut self, dims: &[usize], values: &[String]) -> String {
        let mut t = tensor(proto::STRING, dims);
        t.string_data = values.iter().map(|v| v.as_bytes().to_vec()).collect();
        self.constant(t)
    }

    fn constant(&mut self, mut t: TensorProto) -> String {
        let name = self.fresh("const");
        t.name = name.clone();
        self.initializers.push(t);
        name
    }

    /// A graph input of `elem_type` and shape [N, 1].
    pub fn input(&mut self, name: &str, elem_type: i32) {
        self.inputs
            .push(value_info(name, elem_type, &[None, Some(1)]));
    }

    /// A graph output; `None` dimensions are the rows (`N`).
    pub fn output(&mut self, name: &str, elem_type: i32, dims: &[Option<usize>]) {
        self.outputs.push(value_info(name, elem_type, dims));
    }
}

pub fn double_tensor(dims: &[usize], values: &[f64]) -> TensorProto {
    debug_assert_eq!(dims.iter().product::<usize>(), values.len());
    let mut t = tensor(proto::DOUBLE, dims);
    t.raw_data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    t
}

pub fn uint8_tensor(values: &[u8]) -> TensorProto {
    let mut t = tensor(proto::UINT8, &[values.len()]);
    t.raw_data = values.to_vec();
    t
}

fn tensor(data_type: i32, dims: &[usize]) -> TensorProto {
    TensorProto {
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type,
        ..Default::default()
    }
}

fn value_info(name: &str, elem_type: i32, dims: &[Option<usize>]) -> ValueInfoProto {
    let dim = |d: &Option<usize>| proto::tensor_shape_proto::Dimension {
        value: Some(match d {
            Some(n) => Dim::DimValue(*n as i64),
            None => Dim::DimParam("N".into()),
        }),
    };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(proto::type_proto::Value::TensorType(
                proto::type_proto::Tensor {
                    elem_type,
                    shape: Some(proto::TensorShapeProto {
                        dim: dims.iter().map(dim).collect(),
                    }),
                },
            )),
        }),
    }
}

fn attribute(name: &str, a: Attr) -> AttributeProto {
    let mut p = AttributeProto {
        name: name.into(),
        ..Default::default()
    };
    match a {
        Attr::Int(i) => (p.r#type, p.i) = (proto::ATTR_INT, i),
        Attr::Ints(v) => (p.r#type, p.ints) = (proto::ATTR_INTS, v),
        Attr::Strs(v) => {
            p.r#type = proto::ATTR_STRINGS;
            p.strings = v.into_iter().map(String::into_bytes).collect();
        }
        Attr::Tensor(t) => (p.r#type, p.t) = (proto::ATTR_TENSOR, Some(t)),
    }
    p
}
