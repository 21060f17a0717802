//! `quarry extract`.

use quarry_store::location::Location;
use std::path::Path;
use std::time::{Duration, Instant};

use clap::Args;
use quarry_engine::{
    Canceller, Error, EventRecord, ExtractRequest, Message, Part, ResponseSchema, SchemaError,
    StreamKind,
};
use quarry_workbench::Workbench;
use quarry_workbench::examples;
use quarry_workbench::orchestrate::{Finished, Prepared, RunSpec};
use serde_json::Value;

use crate::report::Failure;
use crate::stats::{Summary, cpu_time};

#[derive(Args)]
pub struct ExtractArgs {
    /// PROVIDER/MODEL, e.g. openai/gpt-4o-mini, ollama/llama3.1 (see `quarry providers`).
    #[arg(long, value_name = "PROVIDER/MODEL")]
    provider: String,
    /// Overrides the provider's base URL (any OpenAI-compatible server).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Reads the API key from this environment variable instead of the provider's.
    #[arg(long, value_name = "NAME")]
    api_key_env: Option<String>,
    /// tools, json_schema, md_json, … or instructor's names (TOOLS, MD_JSON…); see `quarry modes`.
    #[arg(long, value_name = "MODE")]
    mode: Option<String>,
    /// A JSON Schema file, or the name of an example (see `quarry schemas`).
    #[arg(long, value_name = "FILE|NAME")]
    schema: String,
    /// System message (a Jinja template); @FILE reads it from a file.
    #[arg(long, value_name = "TEXT")]
    system: Option<String>,
    /// User message (a Jinja template); @FILE reads it from a file. With an example schema it
    /// defaults to asking for the data in {{ text }}.
    #[arg(long, value_name = "TEXT")]
    prompt: Option<String>,
    /// Template variable; KEY=@FILE reads the value from a file. Repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    vars: Vec<String>,
    /// Template variable with a JSON value (a list to loop over, a number, an object);
    /// KEY=@FILE reads the JSON from a file. Repeatable.
    #[arg(long = "var-json", value_name = "KEY=JSON")]
    json_vars: Vec<String>,
    /// Re-asks after the first attempt when the answer is invalid.
    #[arg(long, default_value_t = 3, value_name = "N")]
    max_retries: u32,
    /// Total time for the whole run, in seconds.
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// How long to wait for an answer before a try counts as failed (retried): the whole
    /// answer, or for a stream its start and any silence in it. Default 120.
    #[arg(long, value_name = "SECS")]
    request_timeout: Option<f64>,
    #[arg(long)]
    temperature: Option<f64>,
    #[arg(long, value_name = "N")]
    max_tokens: Option<u32>,
    #[arg(long, value_name = "P")]
    top_p: Option<f64>,
    #[arg(long, value_name = "N")]
    seed: Option<i64>,
    /// Stop sequence; repeatable.
    #[arg(long = "stop", value_name = "TEXT")]
    stops: Vec<String>,
    /// Attach an image to the user message: a file (sent inline as a data: URL) or an
    /// http(s)/data: URL. Repeatable.
    #[arg(long = "image", value_name = "FILE|URL")]
    images: Vec<String>,
    /// Attach a file to the user message: an image, a PDF, audio or a text file, its type
    /// read from its bytes. An http(s) address is passed to providers that fetch it
    /// themselves, else fetched by Quarry from public addresses only; its type comes from
    /// its ending (.pdf, .png, .mp3, …). Repeatable. A PDF for a provider that cannot
    /// read PDFs is sent as its text.
    #[arg(long = "file", value_name = "FILE|URL")]
    files: Vec<String>,
    /// Extra HTTP header, `Name: value`. Repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Extra request body field as JSON, merged last (e.g. --extra 'reasoning_effort="low"'). Repeatable.
    #[arg(long = "extra", value_name = "KEY=JSON")]
    extras: Vec<String>,
    /// Print every run event as a JSON line on stderr.
    #[arg(long)]
    events: bool,
    /// Print the result on one line.
    #[arg(long)]
    compact: bool,
    /// Run N times; report success rate, latency p50/p95 and CPU per call on stderr.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: u32,
    /// Stream the answer: `partial` prints one JSON line per update (changes and field
    /// states); `iterable` prints each list item as a JSON line the moment it completes.
    /// The final validated JSON is printed last.
    #[arg(long, value_name = "KIND", value_enum)]
    stream: Option<StreamArg>,
    /// With --stream partial: print the whole current object on each update instead.
    #[arg(long)]
    snapshots: bool,
    /// With --stream partial on a terminal: redraw the object in place, fields coloured by
    /// state (yellow arriving, green valid, red invalid).
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    db: crate::runs::DbArgs,
    /// Do not record the run.
    #[arg(long)]
    no_save: bool,
    /// Print the exact request the first attempt would send, as one JSON object
    /// {method, url, headers, body} (secrets masked), and send nothing. No key is needed.
    #[arg(long)]
    dry_run: bool,
    /// Print the run as a program and send nothing: `curl` (the exact first request), `python`
    /// (instructor, with Pydantic models made from the schema) or `rust` (quarry-engine). Each
    /// reads the key from the environment and prints the validated object as JSON.
    #[arg(long, value_name = "FORMAT", value_enum)]
    export_code: Option<CodeFormat>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CodeFormat {
    Curl,
    Python,
    Rust,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum StreamArg {
    Partial,
    Iterable,
}

const EXAMPLE_PROMPT: &str =
    "Extract the data described by the schema from this text:\n\n{{ text }}";

/// Reads `@FILE` arguments; anything else is the text itself.
fn text_arg(value: &str, flag: &str) -> Result<String, Failure> {
    match value.strip_prefix('@') {
        Some(path) => crate::input::read_text(Path::new(path), &format!("{flag} file")),
        None => Ok(value.to_string()),
    }
}

/// An image argument as a URL: URLs pass through, files become `data:` URLs.
fn image_url(arg: &str) -> Result<String, Failure> {
    use base64::Engine as _;
    if ["http://", "https://", "data:"]
        .iter()
        .any(|p| arg.starts_with(p))
    {
        return Ok(arg.to_string());
    }
    let (mime, bytes) = crate::input::read_image(Path::new(arg))?;
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// A `--file` argument as a message part: a file read and typed by its bytes, or an address
/// typed by its ending (the engine checks the bytes it fetches against that type).
fn file_part(arg: &str) -> Result<Part, Failure> {
    if !(arg.starts_with("http://") || arg.starts_with("https://")) {
        if arg.contains("://") || arg.starts_with("data:") {
            return Err(Failure::input(
                format!(
                    "--file `{}` is neither a file nor an http(s) address",
                    quarry_engine::limits::clip(arg, 80)
                ),
                "give the path of a file, or an http(s):// address",
            ));
        }
        return crate::input::read_attachment(Path::new(arg));
    }
    let path = arg
        .split(['?', '#'])
        .next()
        .unwrap_or(arg)
        .to_ascii_lowercase();
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    let url = arg.to_string();
    let name = Some(path.rsplit('/').next().unwrap_or_default().to_string());
    Ok(match ext {
        "pdf" => Part::Document { url, name },
        "png" | "jpg" | "jpeg" | "gif" | "webp" => Part::Image { url, detail: None },
        "wav" | "mp3" | "flac" | "ogg" | "oga" | "aac" | "aif" | "aiff" => {
            Part::Audio { url, name }
        }
        _ => {
            return Err(Failure::input(
                format!(
                    "--file `{}`: the address does not say what the file is",
                    quarry_engine::limits::clip(arg, 80)
                ),
                "give an address ending in .pdf, .png, .jpg, .mp3, .wav (or download the file and give its path)",
            ));
        }
    })
}

/// A number of seconds given to `flag`, checked (never a panic, never an overflow).
fn seconds(value: f64, flag: &str) -> Result<Duration, Failure> {
    quarry_engine::limits::seconds(value)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Failure::input(
                format!(
                    "{flag} {value} is not a number of seconds between 0 and {}",
                    quarry_engine::limits::human_duration(quarry_engine::limits::MAX_TIMEOUT)
                ),
                format!("pass for example {flag} 60"),
            )
        })
}

/// A schema with what the run history records of it.
struct LoadedSchema {
    schema: ResponseSchema,
    example: Option<&'static examples::Example>,
    name: String,
    body: String,
}

fn load_schema(arg: &str) -> Result<LoadedSchema, Failure> {
    let path = Path::new(arg);
    if path.exists() {
        let text = crate::input::read_text(path, "--schema file")?;
        let schema = ResponseSchema::from_json_str(&text).map_err(|e| Failure::Engine {
            error: Box::new(Error::Schema(e)),
            at: Some(arg.to_string()),
        })?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| {
                n.trim_end_matches(".json")
                    .trim_end_matches(".schema")
                    .to_string()
            })
            .unwrap_or_else(|| arg.to_string());
        return Ok(LoadedSchema {
            schema,
            example: None,
            name,
            body: text,
        });
    }
    if let Some(example) = examples::find(arg) {
        let schema = ResponseSchema::from_json_str(example.schema).map_err(|e: SchemaError| {
            Failure::Engine {
                error: Box::new(Error::Schema(e)),
                at: Some(format!("example `{arg}`")),
            }
        })?;
        return Ok(LoadedSchema {
            schema,
            example: Some(example),
            name: example.name.to_string(),
            body: example.schema.to_string(),
        });
    }
    Err(Failure::input(
        format!("--schema `{arg}` is neither a file nor an example schema"),
        format!(
            "give the path of a JSON Schema file, or one of: {}",
            examples::names().join(", ")
        ),
    ))
}

fn build_request(args: &ExtractArgs) -> Result<(ExtractRequest, LoadedSchema), Failure> {
    let loaded = load_schema(&args.schema)?;
    let example = loaded.example;
    let mut req = ExtractRequest::new(&args.provider).max_retries(args.max_retries);
    if !args.provider.contains('/') {
        return Err(Failure::input(
            format!("--provider `{}` has no model", args.provider),
            "write PROVIDER/MODEL, for example openai/gpt-4o-mini or ollama/llama3.1",
        ));
    }
    req.base_url = args.base_url.clone();
    req.api_key_env = args.api_key_env.clone();
    req.mode = args.mode.clone();
    if let Some(t) = args.timeout {
        req.timeout = Some(seconds(t, "--timeout")?);
    }
    if let Some(t) = args.request_timeout {
        req.transport.request_timeout = seconds(t, "--request-timeout")?;
    }
    req.sampling.temperature = args.temperature;
    req.sampling.max_tokens = args.max_tokens;
    req.sampling.top_p = args.top_p;
    req.sampling.seed = args.seed;
    req.sampling.stop = args.stops.clone();
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':').filter(|(n, _)| !n.trim().is_empty())
        else {
            return Err(Failure::input(
                format!("--header `{header}` is not `Name: value`"),
                "write for example --header 'X-Team: research'",
            ));
        };
        req.extra_headers
            .push((name.trim().to_string(), value.trim().to_string()));
    }
    for extra in &args.extras {
        let parsed = extra
            .split_once('=')
            .map(|(k, v)| (k.trim(), serde_json::from_str::<Value>(v)));
        match parsed {
            Some((key, Ok(value))) if !key.is_empty() => {
                req.extra_body.insert(key.to_string(), value);
            }
            Some((key, Err(e))) if !key.is_empty() => {
                return Err(Failure::input(
                    format!("--extra `{extra}`: the value is not JSON ({e})"),
                    "quote strings as JSON: --extra 'reasoning_effort=\"low\"'",
                ));
            }
            _ => {
                return Err(Failure::input(
                    format!("--extra `{extra}` is not KEY=JSON"),
                    "write for example --extra 'parallel_tool_calls=false'",
                ));
            }
        }
    }

    for var in &args.vars {
        let Some((key, value)) = var.split_once('=') else {
            return Err(Failure::input(
                format!("--var `{var}` has no `=`"),
                "write --var KEY=VALUE (or KEY=@FILE to read the value from a file)",
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(Failure::input(
                format!("--var `{var}` has an empty name"),
                "write --var KEY=VALUE",
            ));
        }
        req.context
            .insert(key.to_string(), Value::String(text_arg(value, "--var")?));
    }
    for var in &args.json_vars {
        let Some((key, text)) = var.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(Failure::input(
                format!("--var-json `{var}` is not KEY=JSON"),
                "write for example --var-json 'tags=[\"a\", \"b\"]'",
            ));
        };
        let text = text_arg(text, "--var-json")?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            Failure::input(
                format!("--var-json `{}`: the value is not JSON ({e})", key.trim()),
                "quote strings as JSON, or use --var for plain text",
            )
        })?;
        req.context.insert(key.trim().to_string(), value);
    }
    if let Some(system) = &args.system {
        req.messages
            .push(Message::system(text_arg(system, "--system")?));
    }
    let prompt = match (&args.prompt, example) {
        (Some(p), _) => text_arg(p, "--prompt")?,
        (None, Some(example)) => {
            req.context
                .entry("text")
                .or_insert_with(|| Value::String(example.input.to_string()));
            EXAMPLE_PROMPT.to_string()
        }
        (None, None) => {
            return Err(Failure::input(
                "no prompt given",
                "pass --prompt TEXT or --prompt @FILE (templates may use --var values, e.g. {{ text }})",
            ));
        }
    };
    let mut user = Message::user(prompt);
    for image in &args.images {
        user = user.with_image(image_url(image)?);
    }
    for file in &args.files {
        user = user.with_part(file_part(file)?);
    }
    req.messages.push(user);
    Ok((req, loaded))
}

pub fn run(args: ExtractArgs) -> i32 {
    match execute(&args) {
        Ok(code) => code,
        Err(failure) => {
            eprint!("{}", failure.render());
            failure.exit_code()
        }
    }
}

fn print_value(value: &Value, compact: bool) {
    let text = if compact {
        serde_json::to_string(value)
    } else {
        serde_json::to_string_pretty(value)
    }
    .unwrap_or_default();
    crate::out(text);
}

/// Flags that only mean something together with others.
fn check_flag_combinations(args: &ExtractArgs) -> Result<(), Failure> {
    let partial = matches!(args.stream, Some(StreamArg::Partial));
    if args.live && !partial {
        return Err(Failure::input(
            "--live draws a partial stream, and this run does not stream one",
            "add --stream partial (or drop --live)",
        ));
    }
    if args.snapshots && !partial {
        return Err(Failure::input(
            "--snapshots prints the object of a partial stream, and this run does not stream one",
            "add --stream partial (or drop --snapshots)",
        ));
    }
    if args.stream.is_some() && args.repeat > 1 {
        return Err(Failure::input(
            "--repeat cannot be combined with --stream",
            "drop one of them",
        ));
    }
    if args.dry_run && args.export_code.is_some() {
        return Err(Failure::input(
            "--dry-run and --export-code each print the request instead of sending it",
            "keep one of them",
        ));
    }
    if (args.dry_run || args.export_code.is_some()) && args.repeat > 1 {
        return Err(Failure::input(
            "--repeat sends the request N times, and --dry-run/--export-code send nothing",
            "drop --repeat",
        ));
    }
    Ok(())
}

fn execute(args: &ExtractArgs) -> Result<i32, Failure> {
    check_flag_combinations(args)?;
    let (req, loaded) = build_request(args)?;
    let LoadedSchema {
        schema, name, body, ..
    } = loaded;
    let stream = args.stream.map(|kind| match kind {
        StreamArg::Partial => StreamKind::Partial,
        StreamArg::Iterable => StreamKind::Iterable,
    });
    let location = match args.db.location() {
        Ok(location) => location,
        // No data folder is known for this user: with --no-save none is needed (prices are
        // Quarry's own then).
        Err(_) if args.no_save || args.dry_run || args.export_code.is_some() => Location::pinned(
            quarry_store::default_path().unwrap_or_default(),
            "--no-save",
        ),
        Err(f) => return Err(f),
    };
    let (sink, events) = match stream {
        Some(_) => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        }
        None => (None, None),
    };
    let attached = !(args.files.is_empty() && args.images.is_empty());
    let wb = crate::record::workbench(location, args.events, sink, attached)?;
    let spec = RunSpec {
        request: req,
        schema_name: name,
        schema_text: body,
        stream,
        profile: None,
        prompt_name: "cli".into(),
        record: !args.no_save,
    };
    let runtime = crate::runtime()?;
    if args.dry_run || args.export_code.is_some() {
        let preview = runtime
            .block_on(wb.preview(&spec.request, &spec.schema_text, stream))
            .map_err(crate::record::start_failure)?;
        for note in &preview.notes {
            crate::term::eprintln(format!("quarry: note: {note}"));
        }
        let tokens = &preview.prompt_tokens;
        crate::term::eprintln(format!(
            "quarry: the prompt comes to {}{} tokens ({})",
            if tokens.tokenizer { "" } else { "about " },
            tokens.count,
            tokens.method
        ));
        let language = match args.export_code {
            None => {
                print_value(
                    &serde_json::to_value(&preview.request).unwrap_or_default(),
                    args.compact,
                );
                return Ok(0);
            }
            Some(CodeFormat::Curl) => {
                println!("{}", preview.curl);
                return Ok(0);
            }
            Some(CodeFormat::Python) => quarry_design::export::Language::Python,
            Some(CodeFormat::Rust) => quarry_design::export::Language::Rust,
        };
        let program = quarry_design::export::program(
            language,
            &spec.request,
            &spec.schema_text,
            preview.mode.as_str(),
        )
        .map_err(|e| Failure::input(e.to_string(), e.hint()))?;
        print!("{}", program.code);
        return Ok(0);
    }
    if let (Some(kind), Some(events)) = (stream, events) {
        // Bad input (schema, provider, mode, key, templates) fails here: exit 2, nothing sent.
        let prepared = wb.prepare(spec).map_err(crate::record::start_failure)?;
        let show = crate::live::Show::new(
            schema,
            kind,
            crate::live::View::new(args.snapshots, args.live),
        );
        let Finished {
            result,
            not_recorded,
            ..
        } = runtime.block_on(streamed(&wb, prepared, events, show));
        // The result first: whatever happens to the history, the user has it.
        return Ok(finish_code(outcome(result, args.compact), not_recorded));
    }

    let repeat = args.repeat.max(1);
    let mut latencies = Vec::with_capacity(repeat.min(10_000) as usize);
    let (mut last, mut not_recorded) = (None, None);
    let mut ok = 0;
    let cpu0 = cpu_time();
    for _ in 0..repeat {
        let prepared = wb
            .prepare(spec.clone())
            .map_err(crate::record::start_failure)?;
        let t0 = Instant::now();
        let finished = runtime.block_on(wb.execute(prepared, "cli", Canceller::new()));
        latencies.push(t0.elapsed().as_secs_f64() * 1e3);
        ok += usize::from(finished.result.is_ok());
        // Only the last run's result is printed; the first failure to record is reported.
        not_recorded = not_recorded.or(finished.not_recorded);
        last = Some(finished.result);
    }
    let cpu = cpu_time().saturating_sub(cpu0);
    let code = match last {
        Some(result) => {
            if repeat > 1 {
                // The summary goes after the result, as before.
                let summary = Summary::new(latencies, ok, cpu).line();
                let code = outcome(result, args.compact);
                eprintln!("{summary}");
                code
            } else {
                outcome(result, args.compact)
            }
        }
        None => 0,
    };
    Ok(finish_code(code, not_recorded))
}

/// Prints a run's result (stdout) or its failure (stderr); returns the exit status.
fn outcome(result: Result<quarry_engine::Extraction, Error>, compact: bool) -> i32 {
    match result {
        Ok(extraction) => {
            print_value(&extraction.value, compact);
            0
        }
        Err(e) => {
            let failure = Failure::from(e);
            eprint!("{}", failure.render());
            failure.exit_code()
        }
    }
}

/// Runs a streamed extraction, showing its events as they arrive; Ctrl-C cancels it, keeping
/// what arrived.
async fn streamed(
    wb: &Workbench<crate::record::CliHost>,
    prepared: Prepared,
    mut events: tokio::sync::mpsc::UnboundedReceiver<EventRecord>,
    mut show: crate::live::Show,
) -> Finished {
    let canceller = Canceller::new();
    let on_ctrl_c = canceller.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let run = wb.execute(prepared, "cli", canceller);
    tokio::pin!(run);
    let finished = loop {
        tokio::select! {
            finished = &mut run => break finished,
            Some(event) = events.recv() => show.event(&event),
        }
    };
    while let Ok(event) = events.try_recv() {
        show.event(&event);
    }
    ctrl_c.abort();
    show.end();
    finished
}

/// The exit status once the history has had its say: a run that succeeded but is missing
/// from the history exits with its own status; a failed run keeps the failure's.
fn finish_code(code: i32, not_recorded: Option<quarry_store::StoreError>) -> i32 {
    match not_recorded.map(|e| crate::record::report(&e)) {
        Some(status) if code == 0 => status,
        _ => code,
    }
}
