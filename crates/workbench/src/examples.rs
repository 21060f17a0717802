//! The example schemas from `schemas/` (with their sample inputs), built in so that
//! `--schema invoice` and the workbench's examples work from any directory.

#[derive(Debug, serde::Serialize)]
pub struct Example {
    pub name: &'static str,
    pub schema: &'static str,
    pub input: &'static str,
}

macro_rules! example {
    ($name:literal) => {
        Example {
            name: $name,
            schema: include_str!(concat!("../../../schemas/", $name, ".schema.json")),
            input: include_str!(concat!("../../../schemas/", $name, ".input.txt")),
        }
    };
}

pub const EXAMPLES: &[Example] = &[
    example!("person"),
    example!("invoice"),
    example!("job_posting"),
    example!("paper"),
    example!("support_ticket"),
];

pub fn find(name: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.name == name)
}

pub fn names() -> Vec<&'static str> {
    EXAMPLES.iter().map(|e| e.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_prepares() {
        for e in EXAMPLES {
            quarry_engine::ResponseSchema::from_json_str(e.schema)
                .unwrap_or_else(|err| panic!("{}: {err}", e.name));
            assert!(!e.input.trim().is_empty());
        }
    }
}
