//! Extreme numbers spliced into every numeric field of a message: JSON templates (every number
//! leaf, and the numbers hidden in strings) and protobuf encodings (every varint, fixed32 and
//! fixed64 on the wire, nested messages included).

use serde_json::Value;

/// Number literals a hostile peer may write (some are not even JSON: `NaN`, `Infinity`).
pub const EXTREME_LITERALS: &[&str] = &[
    "1e300",
    "-1e300",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "-Infinity",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "4294967296",
    "-1",
    "0",
    "-0",
    "2.5",
    "1e-320",
];

/// String fields that carry numbers, and hostile values for them.
const NUMERIC_STRINGS: &[(&str, &[&str])] = &[
    (
        "time",
        &[
            "-292277022657-01-27T08:29:52Z",
            "292277026596-12-04T15:30:07Z",
            "9999-12-31T23:59:60.999999999999Z",
            "0000-00-00T00:00:00Z",
            "2026-01-01T00:00:00.99999999999999999999Z",
        ],
    ),
    (
        "datr",
        &[
            "SF4294967296BW125",
            "SF7BW18446744073709551616",
            "SF7BW1e300",
            "SF-1BW-125",
            "M4294967295CW4294967295",
        ],
    ),
    ("codr", &["4/0", "4/4294967296", "0/0"]),
    ("JoinEui", &["FFFFFFFFFFFFFFFFFF", "-1"]),
    ("DevEui", &["FFFFFFFFFFFFFFFFFF", "-1"]),
];

const PLACEHOLDER: &str = "@@hostile@@";

/// One mutated message: which field got what, and the text.
#[derive(Debug, Clone)]
pub struct Mutation {
    pub field: String,
    pub value: String,
    pub text: String,
}

/// Writes `v` with its top-level `msgtype` (if any) first, as stations do.
fn write(v: &Value) -> String {
    match v {
        Value::Object(map) if map.contains_key("msgtype") => {
            let mut rest = map.clone();
            let msgtype = rest.remove("msgtype").unwrap_or(Value::Null);
            let rest = Value::Object(rest).to_string();
            let inner = rest.trim_start_matches('{');
            let sep = if inner == "}" { "" } else { "," };
            format!("{{\"msgtype\":{msgtype}{sep}{inner}")
        }
        other => other.to_string(),
    }
}

fn leaves(v: &Value, path: &mut Vec<PathStep>, out: &mut Vec<(Vec<PathStep>, Leaf)>) {
    match v {
        Value::Number(_) => out.push((path.clone(), Leaf::Number)),
        Value::String(_) => {
            if let Some(PathStep::Key(k)) = path.last()
                && let Some((_, values)) = NUMERIC_STRINGS.iter().find(|(key, _)| key == k)
            {
                out.push((path.clone(), Leaf::Strings(values)));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                leaves(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(PathStep::Key(k.clone()));
                leaves(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

enum Leaf {
    Number,
    Strings(&'static [&'static str]),
}

fn at<'a>(v: &'a mut Value, path: &[PathStep]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        PathStep::Key(k) => &mut v[k.as_str()],
        PathStep::Index(i) => &mut v[*i],
    })
}

fn path_text(path: &[PathStep]) -> String {
    path.iter()
        .map(|s| match s {
            PathStep::Key(k) => format!(".{k}"),
            PathStep::Index(i) => format!("[{i}]"),
        })
        .collect()
}

/// Every numeric field of the JSON `template` in turn, set to every extreme value.
pub fn json_mutations(template: &str) -> Vec<Mutation> {
    let value: Value = serde_json::from_str(template).expect("a JSON template");
    let mut found = Vec::new();
    leaves(&value, &mut Vec::new(), &mut found);
    let mut out = Vec::new();
    for (path, leaf) in found {
        let mut v = value.clone();
        *at(&mut v, &path) = Value::String(PLACEHOLDER.into());
        let text = write(&v);
        let quoted = format!("\"{PLACEHOLDER}\"");
        let values: Vec<String> = match leaf {
            Leaf::Number => EXTREME_LITERALS.iter().map(|s| (*s).to_owned()).collect(),
            Leaf::Strings(values) => values.iter().map(|s| format!("\"{s}\"")).collect(),
        };
        for value in values {
            out.push(Mutation {
                field: path_text(&path),
                text: text.replace(&quoted, &value),
                value,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire format

#[derive(Debug, Clone)]
enum Val {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Bytes(Vec<u8>, Option<Vec<Field>>),
}

#[derive(Debug, Clone)]
struct Field {
    number: u64,
    val: Val,
}

fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        if shift == 63 && b > 1 {
            return None;
        }
        value |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn write_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn parse(bytes: &[u8]) -> Option<Vec<Field>> {
    let mut fields = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let tag = read_varint(bytes, &mut pos)?;
        let number = tag >> 3;
        if number == 0 || number > 536_870_911 {
            return None;
        }
        let val = match tag & 7 {
            0 => Val::Varint(read_varint(bytes, &mut pos)?),
            1 => {
                let b = bytes.get(pos..pos + 8)?;
                pos += 8;
                Val::Fixed64(u64::from_le_bytes(b.try_into().ok()?))
            }
            2 => {
                let len = usize::try_from(read_varint(bytes, &mut pos)?).ok()?;
                let b = bytes.get(pos..pos.checked_add(len)?)?.to_vec();
                pos += len;
                let inner = parse(&b).filter(|f| !f.is_empty());
                Val::Bytes(b, inner)
            }
            5 => {
                let b = bytes.get(pos..pos + 4)?;
                pos += 4;
                Val::Fixed32(u32::from_le_bytes(b.try_into().ok()?))
            }
            _ => return None,
        };
        fields.push(Field { number, val });
    }
    Some(fields)
}

fn encode(fields: &[Field], out: &mut Vec<u8>) {
    for f in fields {
        match &f.val {
            Val::Varint(v) => {
                write_varint(f.number << 3, out);
                write_varint(*v, out);
            }
            Val::Fixed64(v) => {
                write_varint((f.number << 3) | 1, out);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Val::Fixed32(v) => {
                write_varint((f.number << 3) | 5, out);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Val::Bytes(raw, inner) => {
                let body = match inner {
                    Some(fields) => {
                        let mut b = Vec::new();
                        encode(fields, &mut b);
                        b
                    }
                    None => raw.clone(),
                };
                write_varint((f.number << 3) | 2, out);
                write_varint(body.len() as u64, out);
                out.extend_from_slice(&body);
            }
        }
    }
}

fn scalar_paths(fields: &[Field], prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    for (i, f) in fields.iter().enumerate() {
        prefix.push(i);
        match &f.val {
            Val::Bytes(_, Some(inner)) => scalar_paths(inner, prefix, out),
            Val::Bytes(_, None) => {}
            _ => out.push(prefix.clone()),
        }
        prefix.pop();
    }
}

fn field_at<'a>(fields: &'a mut [Field], path: &[usize]) -> &'a mut Field {
    let (first, rest) = path.split_first().expect("a non-empty path");
    let f = &mut fields[*first];
    if rest.is_empty() {
        return f;
    }
    match &mut f.val {
        Val::Bytes(_, Some(inner)) => field_at(inner, rest),
        _ => unreachable!("paths only go through nested messages"),
    }
}

fn numbers_of(fields: &[Field], path: &[usize]) -> String {
    let mut names = Vec::new();
    let mut level = fields;
    for &i in path {
        let f = &level[i];
        names.push(f.number.to_string());
        if let Val::Bytes(_, Some(inner)) = &f.val {
            level = inner;
        }
    }
    names.join(".")
}

const VARINTS: &[u64] = &[
    0,
    1,
    0x7FFF_FFFF,
    0xFFFF_FFFF,
    0x1_0000_0000,
    i64::MAX as u64,
    i64::MIN as u64,
    0xFFFF_FFFF_8000_0000, // i32::MIN sign-extended
    u64::MAX,
];
const F32_BITS: &[u32] = &[
    0x7FC0_0000, // NaN
    0xFFFF_FFFF, // negative NaN with payload
    0x7F80_0000, // +inf
    0xFF80_0000, // -inf
    0x7F7F_FFFF, // f32::MAX
    0xFF7F_FFFF, // -f32::MAX
    0x0000_0001, // smallest subnormal
    0x8000_0000, // -0
];
const F64_BITS: &[u64] = &[
    0x7FF8_0000_0000_0000, // NaN
    0x7FF0_0000_0000_0000, // +inf
    0xFFF0_0000_0000_0000, // -inf
    0x7FEF_FFFF_FFFF_FFFF, // f64::MAX
    0xFFEF_FFFF_FFFF_FFFF, // -f64::MAX
    0x7E37_E43C_8800_759C, // 1e300
    0xFE37_E43C_8800_759C, // -1e300
    0x8000_0000_0000_0000, // i64::MIN as bits (-0.0)
];

/// Every scalar on the wire of `encoded` in turn, set to every extreme value of its wire
/// type: (field path as field numbers, value, bytes).
pub fn protobuf_mutations(encoded: &[u8]) -> Vec<Mutation> {
    let fields = parse(encoded).expect("a protobuf sample");
    let mut paths = Vec::new();
    scalar_paths(&fields, &mut Vec::new(), &mut paths);
    let mut out = Vec::new();
    for path in paths {
        let name = numbers_of(&fields, &path);
        let kind = field_at(&mut fields.clone(), &path).val.clone();
        let values: Vec<(String, Val)> = match kind {
            Val::Varint(_) => VARINTS
                .iter()
                .map(|v| (format!("varint {v:#x}"), Val::Varint(*v)))
                .collect(),
            Val::Fixed32(_) => F32_BITS
                .iter()
                .map(|v| (format!("f32 bits {v:#x}"), Val::Fixed32(*v)))
                .collect(),
            Val::Fixed64(_) => F64_BITS
                .iter()
                .map(|v| (format!("f64/i64 bits {v:#x}"), Val::Fixed64(*v)))
                .collect(),
            Val::Bytes(..) => Vec::new(),
        };
        for (label, val) in values {
            let mut copy = fields.clone();
            field_at(&mut copy, &path).val = val;
            let mut bytes = Vec::new();
            encode(&copy, &mut bytes);
            out.push(Mutation {
                field: format!("field {name}"),
                value: label,
                // Protobuf batteries carry the bytes hex-encoded here.
                text: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            });
        }
    }
    out
}

/// The bytes of a protobuf mutation.
pub fn bytes_of(m: &Mutation) -> Vec<u8> {
    (0..m.text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&m.text[i..i + 2], 16).expect("hex"))
        .collect()
}
