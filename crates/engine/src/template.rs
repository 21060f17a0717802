//! Message templating. Every text part of the caller's messages is a Jinja template
//! (minijinja) rendered with the call's context. Undefined variables are errors that name the
//! variable, the message and the line, never silently empty strings.

use serde_json::{Map, Value, json};

use crate::message::{Message, Part};

#[derive(Debug, Clone, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "template error in message {message} ({role}), line {line}: undefined variable `{name}`"
    )]
    Undefined {
        message: usize,
        role: &'static str,
        line: usize,
        name: String,
        known: Vec<String>,
    },
    #[error("template syntax error in message {message} ({role}), line {line}: {detail}")]
    Syntax {
        message: usize,
        role: &'static str,
        line: usize,
        detail: String,
        source_line: String,
    },
    #[error("template error in message {message} ({role}), line {line}: {detail}")]
    Render {
        message: usize,
        role: &'static str,
        line: usize,
        detail: String,
    },
    /// A loop or a repetition made a prompt past the size limit, or ran longer than any
    /// prompt needs.
    #[error("template error in message {message} ({role}): {detail}")]
    TooBig {
        message: usize,
        role: &'static str,
        detail: String,
    },
}

impl TemplateError {
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::Undefined { .. } => "template_undefined_variable",
            TemplateError::Syntax { .. } => "template_syntax_error",
            TemplateError::Render { .. } => "template_error",
            TemplateError::TooBig { .. } => "template_too_big",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            TemplateError::Undefined { name, known, .. } => {
                let root = name.split(['.', '[']).next().unwrap_or(name);
                let have = if known.is_empty() {
                    "no variables were given".to_string()
                } else {
                    format!("given: {}", known.join(", "))
                };
                format!(
                    "give the variable `{root}` a value ({have}), or guard it with {{% if {root} is defined %}}"
                )
            }
            TemplateError::Syntax { source_line, .. } => {
                format!("fix the Jinja syntax in: {}", source_line.trim())
            }
            TemplateError::Render { .. } => "fix the expression on that line".into(),
            TemplateError::TooBig { .. } => {
                "loop over less (a prompt is at most 64 MiB and takes at most 10 million template steps)".into()
            }
        }
    }

    pub fn details(&self) -> Value {
        match self {
            TemplateError::Undefined {
                message,
                line,
                name,
                ..
            } => json!({"message": message, "line": line, "variable": name}),
            TemplateError::Syntax { message, line, .. }
            | TemplateError::Render { message, line, .. } => {
                json!({"message": message, "line": line})
            }
            TemplateError::TooBig { message, .. } => json!({"message": message}),
        }
    }
}

/// True when a text cannot contain template syntax, so rendering it is the identity.
fn is_plain(text: &str) -> bool {
    !(text.contains("{{") || text.contains("{%") || text.contains("{#"))
}

/// Renders the text parts of `messages` with `context`. Message numbers in errors are 1-based.
/// A message's template: its first text part. Later text parts are attached files (a text
/// file given to `--file` or dropped on the prompt), sent as they are: a `{{` in someone's
/// notes is not a template.
fn template_of(m: &Message) -> Option<&str> {
    m.content.iter().find_map(|p| match p {
        Part::Text { text } => Some(text.as_str()),
        _ => None,
    })
}

pub fn render_messages(
    messages: &[Message],
    context: &Map<String, Value>,
) -> Result<Vec<Message>, TemplateError> {
    if messages.iter().all(|m| template_of(m).is_none_or(is_plain)) {
        return Ok(messages.to_vec());
    }
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Bounds the work of one render: a loop over a billion items ends with an error, not a
    // hang (minijinja already refuses huge ranges, string repetitions and deep recursion).
    env.set_fuel(Some(crate::limits::TEMPLATE_FUEL));
    // Prompts are text, not HTML, and their trailing newlines are the author's.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    let ctx = minijinja::Value::from(minijinja::value::Serde(context));
    let mut budget = crate::limits::MAX_RENDERED_BYTES;
    let mut out = Vec::with_capacity(messages.len());
    for (i, message) in messages.iter().enumerate() {
        let mut rendered = message.clone();
        if let Some(Part::Text { text }) = rendered
            .content
            .iter_mut()
            .find(|p| matches!(p, Part::Text { .. }))
            && !is_plain(text)
        {
            let at = (i + 1, message.role.as_str());
            *text = render_one(&env, text, &ctx, context, at, &mut budget)?;
        }
        out.push(rendered);
    }
    Ok(out)
}

/// Collects rendered text up to a byte budget shared by all messages; past it, writing fails
/// and the render stops (a loop cannot fill memory).
struct Capped<'a> {
    out: Vec<u8>,
    budget: &'a mut usize,
    over: bool,
}

impl std::io::Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > *self.budget {
            self.over = true;
            return Err(std::io::Error::other("the prompt is too long"));
        }
        *self.budget -= buf.len();
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn render_one(
    env: &minijinja::Environment<'_>,
    source: &str,
    ctx: &minijinja::Value,
    context: &Map<String, Value>,
    (number, role): (usize, &'static str),
    budget: &mut usize,
) -> Result<String, TemplateError> {
    let tmpl = env
        .template_from_str(source)
        .map_err(|e| TemplateError::Syntax {
            message: number,
            role,
            line: e.line().unwrap_or(1),
            detail: e.detail().unwrap_or("invalid syntax").to_string(),
            source_line: source
                .lines()
                .nth(e.line().unwrap_or(1).saturating_sub(1))
                .unwrap_or_default()
                .to_string(),
        })?;
    let mut sink = Capped {
        out: Vec::new(),
        budget,
        over: false,
    };
    let rendered = tmpl.render_captured_to(ctx.clone(), &mut sink).map(|_| ());
    let (over, text) = (sink.over, sink.out);
    rendered.map_err(|e| {
        let line = e.line().unwrap_or(1);
        if over {
            return TemplateError::TooBig {
                message: number,
                role,
                detail: format!(
                    "the rendered prompt is longer than {}",
                    crate::limits::human_bytes(crate::limits::MAX_RENDERED_BYTES as u64)
                ),
            };
        }
        if e.kind() == minijinja::ErrorKind::OutOfFuel {
            return TemplateError::TooBig {
                message: number,
                role,
                detail: format!(
                    "rendering did not finish within its limit of {} steps (line {line})",
                    crate::limits::TEMPLATE_FUEL
                ),
            };
        }
        if e.kind() == minijinja::ErrorKind::UndefinedError {
            let name = undefined_name(&tmpl, context, source, e.range())
                .unwrap_or_else(|| "(unknown)".to_string());
            TemplateError::Undefined {
                message: number,
                role,
                line,
                name,
                known: context.keys().cloned().collect(),
            }
        } else {
            TemplateError::Render {
                message: number,
                role,
                line,
                detail: e
                    .detail()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.kind().to_string()),
            }
        }
    })?;
    // minijinja writes UTF-8 text; a lossy conversion only guards against a future change.
    Ok(String::from_utf8(text)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Which variable was undefined: a top-level name missing from the context if there is one,
/// otherwise the expression the error points at (`user.email`).
fn undefined_name(
    tmpl: &minijinja::Template<'_, '_>,
    context: &Map<String, Value>,
    source: &str,
    range: Option<std::ops::Range<usize>>,
) -> Option<String> {
    let mut missing: Vec<String> = tmpl
        .undeclared_variables(true)
        .into_iter()
        .filter(|v| {
            let root = v.split('.').next().unwrap_or(v);
            !context.contains_key(root)
        })
        .collect();
    missing.sort();
    if let Some(range) = range
        && let Some(expr) = source.get(range)
    {
        let expr = expr.trim();
        if let Some(m) = missing.iter().find(|m| expr.contains(m.as_str())) {
            return Some(m.clone());
        }
        return Some(expr.to_string());
    }
    missing.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn ctx(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn attached_text_after_the_template_is_sent_as_it_is() {
        let notes = "Notes: {{ not_a_variable }} and {% broken";
        let msgs = vec![
            Message::user("Summarise for {{ who }}:").with_part(Part::Text { text: notes.into() }),
        ];
        let out = render_messages(&msgs, &ctx(json!({"who": "Ada"}))).unwrap();
        assert_eq!(
            out[0].content,
            vec![
                Part::Text {
                    text: "Summarise for Ada:".into()
                },
                Part::Text { text: notes.into() }
            ]
        );
    }

    #[test]
    fn renders_with_context_and_keeps_plain_text() {
        let msgs = vec![
            Message::system("You extract data. {not a template}"),
            Message::user("Text:\n{{ text }}\n{% for t in tags %}- {{ t }}\n{% endfor %}"),
        ];
        let out = render_messages(
            &msgs,
            &ctx(json!({"text": "<b>Ann</b>", "tags": ["a", "b"]})),
        )
        .unwrap();
        assert_eq!(out[0].text(), "You extract data. {not a template}");
        assert_eq!(out[1].text(), "Text:\n<b>Ann</b>\n- a\n- b\n");
    }

    #[test]
    fn a_template_cannot_run_forever_or_fill_memory() {
        let nested = vec![Message::user(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        )];
        let t0 = std::time::Instant::now();
        let e = render_messages(&nested, &Map::new()).unwrap_err();
        assert_eq!(e.code(), "template_too_big", "{e}");
        assert!(e.to_string().contains("steps"), "{e}");
        assert!(t0.elapsed() < std::time::Duration::from_secs(20));
        // 1 KB × 100,000 = 100 MB of prompt: refused at 64 MiB, across messages too.
        let wide = "{% set x = 'y' * 1000 %}{% for i in range(40000) %}{{ x }}{% endfor %}";
        let e = render_messages(&[Message::system(wide), Message::user(wide)], &Map::new())
            .unwrap_err();
        assert!(
            matches!(&e, TemplateError::TooBig { message: 2, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("64 MiB"), "{e}");
        // minijinja's own limits are errors too, never a panic or an abort.
        for t in [
            "{{ 'x' * 1000000000000 }}",
            "{% for i in range(10000000000) %}{% endfor %}",
            "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
        ] {
            assert!(
                render_messages(&[Message::user(t)], &Map::new()).is_err(),
                "{t}"
            );
        }
    }

    #[test]
    fn undefined_variables_are_named() {
        let msgs = vec![
            Message::system("hi"),
            Message::user("line one\nName: {{ name }}"),
        ];
        let e = render_messages(&msgs, &ctx(json!({"text": 1}))).unwrap_err();
        match &e {
            TemplateError::Undefined {
                message,
                line,
                name,
                ..
            } => {
                assert_eq!((*message, *line, name.as_str()), (2, 2, "name"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            e.hint().contains("give the variable `name` a value"),
            "{}",
            e.hint()
        );
    }

    #[test]
    fn undefined_attributes_are_named() {
        let msgs = vec![Message::user("{{ user.email }}")];
        let e = render_messages(&msgs, &ctx(json!({"user": {"name": "x"}}))).unwrap_err();
        assert!(
            matches!(&e, TemplateError::Undefined { name, .. } if name == "user.email"),
            "{e:?}"
        );
    }

    #[test]
    fn syntax_errors_give_the_line() {
        let msgs = vec![Message::user("a\nb\n{% if x %}unclosed")];
        let e = render_messages(&msgs, &ctx(json!({"x": true}))).unwrap_err();
        assert!(
            matches!(e, TemplateError::Syntax { message: 1, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("message 1 (user)"), "{e}");
    }
}
