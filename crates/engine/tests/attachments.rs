//! Files attached to a prompt, end to end against the fakes: each provider receives PDFs,
//! audio and images in its own encoding; a provider that cannot read PDFs gets their text
//! (and the events say so); limits and unsupported kinds fail before anything is sent, with
//! an error naming the limit or the providers that do take the file; addresses are passed
//! through only to providers that fetch them, and Quarry fetches the rest only from public
//! addresses.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{PERSON_OK, StaticKey, client, person_schema};
use quarry_engine::attachment::{self, Kind, data_url, part_from_bytes};
use quarry_engine::fetch::FetchPolicy;
use quarry_engine::{
    CallOptions, Client, Error, EventRecord, ExtractRequest, Part, ResponseSchema, RunEvent,
    Setting, TransportRetry,
};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/files")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn file(name: &str) -> Part {
    part_from_bytes(name, &fixture(name)).unwrap()
}

/// The service root, as Anthropic's and Google's SDKs take it.
fn root(server: &FakeServer) -> String {
    format!("http://{}", server.addr())
}

fn schema() -> ResponseSchema {
    ResponseSchema::new(person_schema()).unwrap()
}

fn person() -> Value {
    serde_json::from_str(PERSON_OK).unwrap()
}

fn req(provider: &str, base_url: String, mode: &str, parts: Vec<Part>) -> ExtractRequest {
    let mut r = ExtractRequest::new(provider)
        .base_url(base_url)
        .mode(mode)
        .user("Extract the person from the attached file.")
        .max_retries(0)
        .transport(TransportRetry {
            initial_backoff: Duration::from_millis(10),
            ..TransportRetry::default()
        });
    r.messages.last_mut().unwrap().content.extend(parts);
    r
}

/// Runs `r` and returns its result with the events it emitted.
async fn run(client: &Client, r: &ExtractRequest) -> (Result<Value, Error>, Vec<RunEvent>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = CallOptions {
        observer: Some(Arc::new(move |e: &EventRecord| {
            sink.lock().unwrap().push(e.event.clone())
        })),
        ..CallOptions::default()
    };
    let out = client
        .extract_value_with(r, &schema(), &options)
        .await
        .map(|e| e.value);
    let events = seen.lock().unwrap().clone();
    (out, events)
}

fn user_content(body: &Value, pointer: &str) -> Vec<Value> {
    body.pointer(pointer)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| panic!("no {pointer} in {body}"))
}

fn files_error(e: &Error) -> (&str, &str) {
    match e {
        Error::InvalidSetting {
            setting: Setting::Files,
            message,
            hint,
        } => (message, hint),
        other => panic!("expected a files error, got {other:?}"),
    }
}

#[test]
fn files_are_typed_by_their_bytes_not_their_names() {
    let pdf = fixture("invoice.pdf");
    assert!(matches!(
        part_from_bytes("scan.png", &pdf),
        Ok(Part::Document { .. })
    ));
    assert!(matches!(
        part_from_bytes("x.pdf", &fixture("pixel.png")),
        Ok(Part::Image { .. })
    ));
    match part_from_bytes("voice.mp3", &fixture("tone.wav")).unwrap() {
        Part::Audio { url, .. } => assert!(url.starts_with("data:audio/wav;base64,")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        part_from_bytes("notes.pdf", &fixture("notes.txt")),
        Ok(Part::Text { text }) if text.starts_with("Meeting notes")
    ));
    let e = part_from_bytes("archive.pdf", &fixture("archive.zip")).unwrap_err();
    let (message, hint) = files_error(&e);
    assert!(
        message.contains(
            "`archive.pdf` is not a file Quarry can send (it looks like application/zip)"
        ),
        "{message}"
    );
    assert!(hint.contains("not its name"), "{hint}");
    assert!(part_from_bytes("bin", &[0, 159, 146, 150]).is_err());
    assert_eq!(
        attachment::sniff(&pdf),
        Some((Kind::Pdf, "application/pdf"))
    );
}

#[tokio::test]
async fn a_pdf_reaches_each_provider_in_its_own_encoding() {
    // Anthropic: a base64 `document` block titled with the file name.
    let server = FakeServer::start(vec![Reply::anthropic_tool_use("Person", person())])
        .await
        .unwrap();
    let r = req(
        "anthropic/claude-sonnet-4-5",
        root(&server),
        "tools",
        vec![file("invoice.pdf")],
    );
    let (out, events) = run(&client(), &r).await;
    assert_eq!(out.unwrap(), person());
    let blocks = user_content(&server.requests()[0].body, "/messages/0/content");
    assert_eq!(blocks[1]["type"], "document");
    assert_eq!(blocks[1]["title"], "invoice.pdf");
    assert_eq!(blocks[1]["source"]["media_type"], "application/pdf");
    assert_eq!(blocks[1]["source"]["data"].as_str().unwrap().len(), 1360);
    assert!(!events.iter().any(|e| matches!(e, RunEvent::PdfText { .. })));

    // Gemini: inline data.
    let server = FakeServer::start(vec![Reply::gemini_function_call("Person", person())])
        .await
        .unwrap();
    let r = req(
        "gemini/gemini-2.5-flash",
        root(&server),
        "tools",
        vec![file("invoice.pdf")],
    );
    assert_eq!(run(&client(), &r).await.0.unwrap(), person());
    let parts = user_content(&server.requests()[0].body, "/contents/0/parts");
    assert_eq!(parts[1]["inlineData"]["mimeType"], "application/pdf");

    // OpenAI: a `file` part with the name and the data URL.
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let r = req(
        "openai/gpt-4o-mini",
        server.base_url(),
        "tools",
        vec![file("invoice.pdf")],
    );
    assert_eq!(run(&client(), &r).await.0.unwrap(), person());
    let parts = user_content(&server.requests()[0].body, "/messages/0/content");
    assert_eq!(parts[1]["type"], "file");
    assert_eq!(parts[1]["file"]["filename"], "invoice.pdf");
    assert!(
        parts[1]["file"]["file_data"]
            .as_str()
            .unwrap()
            .starts_with("data:application/pdf;base64,JVBERi0")
    );
}

#[tokio::test]
async fn a_provider_that_cannot_read_pdfs_gets_their_text_and_the_events_say_so() {
    for (provider, base) in [
        ("ollama/llama3.2", false),
        ("cohere/command-a-03-2025", true),
    ] {
        let server = FakeServer::start(vec![if base {
            Reply::cohere_tool_call("Person", PERSON_OK)
        } else {
            Reply::tool_call("Person", PERSON_OK)
        }])
        .await
        .unwrap();
        let url = if base {
            server.cohere_base_url()
        } else {
            server.base_url()
        };
        let r = req(provider, url, "tools", vec![file("invoice.pdf")]);
        let (out, events) = run(&client(), &r).await;
        assert_eq!(out.unwrap(), person(), "{provider}");
        let sent = server.requests()[0].body.to_string();
        for line in [
            "INVOICE 2026-117",
            "Billed to: Ada Lovelace",
            "--- page 2 ---",
            "Total due: 1234.50 EUR",
        ] {
            assert!(sent.contains(line), "{provider}: {line} not in {sent}");
        }
        assert!(!sent.contains("application/pdf"), "{provider}");
        let pdf_text = events
            .iter()
            .find_map(|e| match e {
                RunEvent::PdfText {
                    document,
                    pages,
                    chars,
                } => Some((document.clone(), *pages, *chars)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{provider}: no input:pdf_text event"));
        assert_eq!(pdf_text.0, "invoice.pdf");
        assert_eq!(pdf_text.1, 2);
        assert!(pdf_text.2 > 60, "{pdf_text:?}");
        // The event comes before the request.
        let at = |f: &dyn Fn(&RunEvent) -> bool| events.iter().position(f).unwrap();
        assert!(
            at(&|e| matches!(e, RunEvent::PdfText { .. }))
                < at(&|e| matches!(e, RunEvent::CompletionKwargs { .. }))
        );
    }
}

#[tokio::test]
async fn pdfs_without_text_or_that_are_not_pdfs_fail_before_sending_with_what_to_do() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let blank = file("blank.pdf");
    let r = req("ollama/llama3.2", server.base_url(), "tools", vec![blank]);
    let e = run(&client(), &r).await.0.unwrap_err();
    let (message, hint) = files_error(&e);
    assert!(
        message.contains("`blank.pdf` has no text to extract"),
        "{message}"
    );
    assert!(
        hint.contains("anthropic") && hint.contains("gemini"),
        "{hint}"
    );

    let broken = Part::Document {
        url: data_url(
            "application/pdf",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> trailer garbage",
        ),
        name: Some("broken.pdf".into()),
    };
    let r = req("ollama/llama3.2", server.base_url(), "tools", vec![broken]);
    let e = run(&client(), &r).await.0.unwrap_err();
    let (message, _) = files_error(&e);
    assert!(
        message.contains("could not read the text of `broken.pdf`"),
        "{message}"
    );
    assert!(server.requests().is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn audio_goes_to_providers_that_hear_it_and_is_refused_by_the_rest() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let r = req(
        "openai/gpt-4o-audio-preview",
        server.base_url(),
        "tools",
        vec![file("tone.wav")],
    );
    assert_eq!(run(&client(), &r).await.0.unwrap(), person());
    let parts = user_content(&server.requests()[0].body, "/messages/0/content");
    assert_eq!(parts[1]["type"], "input_audio");
    assert_eq!(parts[1]["input_audio"]["format"], "wav");
    assert!(
        parts[1]["input_audio"]["data"]
            .as_str()
            .unwrap()
            .starts_with("UklGR")
    );

    let server = FakeServer::start(vec![Reply::gemini_function_call("Person", person())])
        .await
        .unwrap();
    let r = req(
        "gemini/gemini-2.5-flash",
        root(&server),
        "tools",
        vec![file("tone.wav")],
    );
    assert_eq!(run(&client(), &r).await.0.unwrap(), person());
    let parts = user_content(&server.requests()[0].body, "/contents/0/parts");
    assert_eq!(parts[1]["inlineData"]["mimeType"], "audio/wav");

    // The Responses API and Anthropic take no audio: refused before sending, naming where
    // audio can go.
    let server = FakeServer::start(vec![]).await.unwrap();
    for (provider, mode, base) in [
        ("anthropic/claude-sonnet-4-5", "tools", root(&server)),
        ("openai/gpt-4o", "responses_tools", server.base_url()),
    ] {
        let r = req(provider, base, mode, vec![file("tone.wav")]);
        let e = run(&client(), &r).await.0.unwrap_err();
        let (message, hint) = files_error(&e);
        assert!(
            message.contains("does not take audio: `tone.wav`"),
            "{message}"
        );
        assert!(hint.contains("openai") && hint.contains("gemini"), "{hint}");
        assert!(!hint.contains("anthropic"), "{hint}");
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn limits_are_checked_before_sending_and_the_error_names_them() {
    let server = FakeServer::start(vec![]).await.unwrap();
    // Anthropic: 5 MB per image.
    let big = Part::Image {
        url: data_url("image/png", &vec![0u8; 6_000_000]),
        detail: None,
    };
    let r = req(
        "anthropic/claude-sonnet-4-5",
        root(&server),
        "tools",
        vec![big],
    );
    let e = run(&client(), &r).await.0.unwrap_err();
    let (message, hint) = files_error(&e);
    assert!(
        message.contains("is 5.7 MiB; `anthropic` takes images of at most 4.8 MiB"),
        "{message}"
    );
    assert!(hint.contains("docs.claude.com"), "{hint}");

    // Cohere: 20 images per request.
    let pixels = (0..21).map(|_| file("pixel.png")).collect();
    let r = req(
        "cohere/command-a-vision",
        server.cohere_base_url(),
        "tools",
        pixels,
    );
    let e = run(&client(), &r).await.0.unwrap_err();
    let (message, _) = files_error(&e);
    assert!(
        message.contains("takes at most 20 images in one request"),
        "{message}"
    );

    // Gemini takes no GIF.
    let gif = Part::Image {
        url: data_url("image/gif", b"GIF89a...."),
        detail: None,
    };
    let r = req("gemini/gemini-2.5-flash", root(&server), "tools", vec![gif]);
    let e = run(&client(), &r).await.0.unwrap_err();
    let (message, hint) = files_error(&e);
    assert!(
        message.contains("is image/gif, which `gemini` does not take"),
        "{message}"
    );
    assert!(hint.contains("image/png, image/jpeg, image/webp"), "{hint}");

    // A PDF part whose data is an image is caught too.
    let wrong = Part::Document {
        url: data_url("image/png", &fixture("pixel.png")),
        name: None,
    };
    let r = req(
        "anthropic/claude-sonnet-4-5",
        root(&server),
        "tools",
        vec![wrong],
    );
    let e = run(&client(), &r).await.0.unwrap_err();
    assert!(
        files_error(&e)
            .0
            .contains("is attached as PDFs but its data is `image/png`"),
        "{e}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn addresses_pass_through_to_providers_that_fetch_them_and_others_are_fetched_only_when_public()
 {
    // Anthropic fetches PDFs by address itself: passed through, nothing fetched here.
    let server = FakeServer::start(vec![Reply::anthropic_tool_use("Person", person())])
        .await
        .unwrap();
    let doc = Part::Document {
        url: "https://example.com/invoice.pdf".into(),
        name: None,
    };
    let r = req(
        "anthropic/claude-sonnet-4-5",
        root(&server),
        "tools",
        vec![doc],
    );
    let (out, events) = run(&client(), &r).await;
    assert_eq!(out.unwrap(), person());
    let blocks = user_content(&server.requests()[0].body, "/messages/0/content");
    assert_eq!(blocks[1]["source"]["type"], "url");
    assert_eq!(
        blocks[1]["source"]["url"],
        "https://example.com/invoice.pdf"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, RunEvent::InputFetched { .. }))
    );

    // Gemini does not: Quarry fetches it, but never from this machine or a private network.
    let files = FakeServer::start(vec![Reply::bytes(
        200,
        fixture("invoice.pdf"),
        "application/pdf",
    )])
    .await
    .unwrap();
    let provider = FakeServer::start(vec![Reply::gemini_function_call("Person", person())])
        .await
        .unwrap();
    let address = format!("http://{}/files/invoice.pdf", files.addr());
    let doc = Part::Document {
        url: address.clone(),
        name: None,
    };
    let r = req(
        "gemini/gemini-2.5-flash",
        root(&provider),
        "tools",
        vec![doc],
    );
    let e = run(&client(), &r).await.0.unwrap_err();
    let (message, hint) = files_error(&e);
    assert!(
        message.contains("`127.0.0.1` is 127.0.0.1, not a public address"),
        "{message}"
    );
    assert!(hint.contains("public internet addresses"), "{hint}");
    assert!(files.requests().is_empty() && provider.requests().is_empty());

    // With private addresses allowed (as a caller may choose), the file is fetched, checked
    // to be what it claims, and sent inline.
    let trusting = Client::builder()
        .keys(Arc::new(StaticKey))
        .fetch_policy(FetchPolicy {
            allow_private: true,
        })
        .build();
    let (out, events) = run(&trusting, &r).await;
    assert_eq!(out.unwrap(), person());
    assert_eq!(files.requests()[0].method, "GET");
    assert_eq!(files.requests()[0].path, "/files/invoice.pdf");
    let parts = user_content(&provider.requests()[0].body, "/contents/0/parts");
    assert_eq!(parts[1]["inlineData"]["mimeType"], "application/pdf");
    assert!(events.iter().any(|e| matches!(e,
        RunEvent::InputFetched { url, media_type, bytes }
            if url == &address && media_type == "application/pdf" && *bytes == 1018)));

    // An address that answers something else than it was attached as is refused.
    let login = FakeServer::start(vec![Reply::bytes(
        200,
        b"<html>login</html>".to_vec(),
        "text/html",
    )])
    .await
    .unwrap();
    let doc = Part::Document {
        url: format!("http://{}/files/invoice.pdf", login.addr()),
        name: None,
    };
    let r = req(
        "gemini/gemini-2.5-flash",
        root(&provider),
        "tools",
        vec![doc],
    );
    let e = run(&trusting, &r).await.0.unwrap_err();
    assert!(
        files_error(&e)
            .0
            .contains("was attached as PDFs but the address answered something else"),
        "{e}"
    );

    // Other schemes are never read.
    let local = Part::Document {
        url: "file:///etc/passwd".into(),
        name: None,
    };
    let r = req(
        "gemini/gemini-2.5-flash",
        root(&provider),
        "tools",
        vec![local],
    );
    let e = run(&trusting, &r).await.0.unwrap_err();
    assert!(files_error(&e).0.contains("is a `file:` address"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]
    /// Whatever follows a PDF header, reading it ends (text, or an error), never a panic
    /// that escapes or a run that hangs.
    #[test]
    fn any_bytes_after_a_pdf_header_are_read_or_refused(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend(tail);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _ = rt.block_on(attachment::pdf_pages(bytes, Duration::from_secs(10)));
    }
}

#[tokio::test]
async fn an_address_is_named_in_errors_and_events_without_its_query() {
    let server = FakeServer::start(vec![]).await.unwrap();
    let signed = Part::Document {
        url: "http://127.0.0.1:9/report.pdf?X-Amz-Signature=s3cr3tsignature".into(),
        name: None,
    };
    let r = req(
        "gemini/gemini-2.5-flash",
        root(&server),
        "tools",
        vec![signed],
    );
    let e = run(&client(), &r).await.0.unwrap_err();
    let (message, _) = files_error(&e);
    assert!(
        message.contains("`http://127.0.0.1:9/report.pdf`"),
        "{message}"
    );
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
}
