//! Field-level differences between two JSON values (two runs' results or specs).

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// Only in the second value.
    Added,
    /// Only in the first value.
    Removed,
    /// In both, different.
    Changed,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Difference {
    /// JSON Pointer of the field.
    pub path: String,
    pub kind: DiffKind,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Every field that differs, depth first, in the order of `a` then `b`. Arrays are compared
/// position by position.
pub fn diff(a: &Value, b: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(String::new(), a, b, &mut out);
    out
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn walk(path: String, a: &Value, b: &Value, out: &mut Vec<Difference>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}/{}", escape(k));
                match y.get(k) {
                    Some(vb) => walk(p, va, vb, out),
                    None => out.push(Difference {
                        path: p,
                        kind: DiffKind::Removed,
                        before: Some(va.clone()),
                        after: None,
                    }),
                }
            }
            for (k, vb) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                out.push(Difference {
                    path: format!("{path}/{}", escape(k)),
                    kind: DiffKind::Added,
                    before: None,
                    after: Some(vb.clone()),
                });
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = format!("{path}/{i}");
                match (x.get(i), y.get(i)) {
                    (Some(va), Some(vb)) => walk(p, va, vb, out),
                    (Some(va), None) => out.push(Difference {
                        path: p,
                        kind: DiffKind::Removed,
                        before: Some(va.clone()),
                        after: None,
                    }),
                    (None, Some(vb)) => out.push(Difference {
                        path: p,
                        kind: DiffKind::Added,
                        before: None,
                        after: Some(vb.clone()),
                    }),
                    (None, None) => {}
                }
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push(Difference {
            path,
            kind: DiffKind::Changed,
            before: Some(x.clone()),
            after: Some(y.clone()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_added_removed_and_changed() {
        let a = json!({"name": "Ada", "age": 36, "tags": ["x", "y"], "addr": {"city": "London", "zip": "N1"}, "a/b": 1});
        let b = json!({"name": "Ada", "age": 37, "tags": ["x"], "addr": {"city": "Paris"}, "email": "a@b", "a/b": 1});
        let d = diff(&a, &b);
        let summary: Vec<(&str, &DiffKind)> =
            d.iter().map(|x| (x.path.as_str(), &x.kind)).collect();
        assert_eq!(
            summary,
            [
                ("/age", &DiffKind::Changed),
                ("/tags/1", &DiffKind::Removed),
                ("/addr/city", &DiffKind::Changed),
                ("/addr/zip", &DiffKind::Removed),
                ("/email", &DiffKind::Added)
            ]
        );
        assert_eq!(d[0].before, Some(json!(36)));
        assert_eq!(d[0].after, Some(json!(37)));
        assert!(diff(&a, &a).is_empty());
        assert_eq!(diff(&json!(1), &json!("1"))[0].path, "");
    }
}
