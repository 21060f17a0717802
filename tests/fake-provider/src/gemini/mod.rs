//! Google's Gemini API (`POST …/v1beta/models/{MODEL}:generateContent` and
//! `:streamGenerateContent?alt=sse`) and Vertex AI's form of it
//! (`POST …/v1/projects/{P}/locations/{L}/publishers/google/models/{MODEL}:…`): scripted answers
//! in the documented `GenerateContentResponse` shape, and a check that refuses what the real API
//! refuses (see [`validate`]).
//!
//! Shapes follow recorded answers of the real API, read in 2026:
//! - [REC-STREAM] `junjihashimoto/louter`, `test-data/gemini/streaming_long/response.json` and
//!   `streaming_function_calling/response_0.json` (gemini-2.5-flash, `alt=sse`): every chunk is a
//!   whole `GenerateContentResponse` carrying the usage *so far* (`candidatesTokenCount` grows;
//!   it is absent while it is 0), the last text chunk carries `finishReason`; a function call
//!   arrives whole in one chunk with its `thoughtSignature`, `finishReason: "STOP"` and
//!   `finishMessage: "Model generated function call(s)."`; no `[DONE]`, the stream just ends.
//! - [REC-CRLF] a live capture quoted in a public test suite (gemini-2.5-flash, 2026): events are
//!   framed `data: …\r\n\r\n`, and the JSON is Google's printer style (`{"key": value,"next": …}`:
//!   a space after each colon, none after commas, `<` and `>` escaped as `\u003c`/`\u003e`).
//! - [ISSUE vercel/ai#5217, diegosouzapw/OmniRoute#4177] an error in the middle of an `alt=sse`
//!   stream is *not* an SSE event: after the last `data:` event the server writes a bare,
//!   pretty-printed `{"error": {"code": 503, "message": …, "status": "UNAVAILABLE"}}` and closes.
//! - [ISSUE CherryHQ/cherry-studio#664] a candidate stopped for safety has no `content`, only
//!   `finishReason: "SAFETY"` and `safetyRatings` (one of them `"blocked": true`).
//! - [ISSUE google-gemini/gemini-cli#8437, continuedev/continue 2026 reports] a 429 is
//!   `RESOURCE_EXHAUSTED` with `QuotaFailure`, `Help` and `RetryInfo {retryDelay: "32s"}` in
//!   `error.details`; no capture shows a `Retry-After` header, so none is sent.
//! - Non-streamed bodies and error bodies are pretty-printed with two spaces (every quoted error
//!   shows `{\n  "error": {\n    "code": …`), `content-type: application/json; charset=UTF-8`.
//!
//! Every answer reports the same usage, so tests can predict it: [`GEMINI_PROMPT_TOKENS`] (40)
//! prompt tokens of which [`GEMINI_CACHED_TOKENS`] (8) came from the cache,
//! [`GEMINI_CANDIDATES_TOKENS`] (12) answer tokens, [`GEMINI_THOUGHTS_TOKENS`] (20) thinking
//! tokens and [`GEMINI_TOTAL_TOKENS`] (72 = 40 + 12 + 20: the real total counts the thoughts,
//! e.g. 83 + 14 + 104 = 201 in [REC-STREAM]; the cached tokens are part of the prompt). A stream's
//! earlier chunks carry the usage so far (the prompt, cache and thought counts, and the answer
//! tokens sent until then); the last one carries it all.

pub(crate) mod validate;

use std::time::Duration;

use serde_json::{Value, json};

use crate::{Reply, StreamScript, pieces};

/// `usageMetadata.promptTokenCount` of every Gemini answer.
pub const GEMINI_PROMPT_TOKENS: u64 = 40;
/// `usageMetadata.candidatesTokenCount` of every Gemini answer (a stream's last chunk).
pub const GEMINI_CANDIDATES_TOKENS: u64 = 12;
/// `usageMetadata.cachedContentTokenCount` of every Gemini answer (part of the prompt tokens).
pub const GEMINI_CACHED_TOKENS: u64 = 8;
/// `usageMetadata.thoughtsTokenCount` of every Gemini answer (billed as output).
pub const GEMINI_THOUGHTS_TOKENS: u64 = 20;
/// `usageMetadata.totalTokenCount` of every Gemini answer: prompt + candidates + thoughts.
pub const GEMINI_TOTAL_TOKENS: u64 =
    GEMINI_PROMPT_TOKENS + GEMINI_CANDIDATES_TOKENS + GEMINI_THOUGHTS_TOKENS;
/// The `modelVersion` every Gemini answer names.
pub const GEMINI_MODEL_VERSION: &str = "gemini-2.5-flash";
/// The `responseId` of every Gemini answer (the real ones are 23 URL-safe base64 characters).
pub const GEMINI_RESPONSE_ID: &str = "FakeQuarryGeminiResp_01";

/// `finishMessage` of a candidate that calls functions [REC-STREAM].
const FUNCTION_CALL_FINISH: &str = "Model generated function call(s).";

/// The content type of Google's JSON answers.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// `<` and `>` the way Google's JSON printer writes them inside strings [REC-CRLF]; JSON's own
/// punctuation never uses them, so replacing them everywhere only touches strings.
fn escape_angles(text: String) -> String {
    if text.contains(['<', '>']) {
        text.replace('<', "\\u003c").replace('>', "\\u003e")
    } else {
        text
    }
}

/// The one-line JSON of a stream event, in Google's printer style [REC-CRLF]:
/// `{"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"},"index": 0}]}`.
pub(crate) fn google_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push_str(": ");
                    write(v, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    escape_angles(out)
}

/// A pretty-printed body, two spaces per level, as Google's non-streamed answers are.
pub(crate) fn pretty(v: &Value) -> String {
    escape_angles(serde_json::to_string_pretty(v).unwrap_or_default())
}

/// A JSON answer with Google's content type and pretty printing.
pub(crate) fn json_reply(status: u16, body: &Value, headers: Vec<(String, String)>) -> Reply {
    Reply::Bytes {
        status,
        body: pretty(body).into_bytes(),
        content_type: JSON_CONTENT_TYPE.into(),
        headers,
    }
}

/// `{"error": {"code", "message", "status", "details"?}}`, Google's error shape (`google.rpc.Status`
/// with the HTTP code), fields in the order the real API prints them.
pub(crate) fn error_value(code: u16, status: &str, message: &str, details: &[Value]) -> Value {
    let mut error = json!({"code": code, "message": message, "status": status});
    if !details.is_empty() {
        error["details"] = Value::Array(details.to_vec());
    }
    json!({"error": error})
}

/// One SSE event of a Gemini stream: `data: {…}\r\n\r\n` [REC-CRLF].
fn event(data: &Value) -> String {
    format!("data: {}\r\n\r\n", google_json(data))
}

/// `usageMetadata` with `candidates` answer tokens so far (absent while 0, as proto3 JSON omits
/// zeros). Fields in the order the real API prints them (field-number order, [REC-STREAM]).
fn usage(candidates: u64) -> Value {
    let mut u = json!({"promptTokenCount": GEMINI_PROMPT_TOKENS});
    if candidates > 0 {
        u["candidatesTokenCount"] = json!(candidates);
    }
    u["totalTokenCount"] = json!(GEMINI_PROMPT_TOKENS + candidates + GEMINI_THOUGHTS_TOKENS);
    u["cachedContentTokenCount"] = json!(GEMINI_CACHED_TOKENS);
    u["promptTokensDetails"] = json!([{"modality": "TEXT", "tokenCount": GEMINI_PROMPT_TOKENS}]);
    u["cacheTokensDetails"] = json!([{"modality": "TEXT", "tokenCount": GEMINI_CACHED_TOKENS}]);
    u["thoughtsTokenCount"] = json!(GEMINI_THOUGHTS_TOKENS);
    u
}

/// A whole `GenerateContentResponse` with one candidate and `usage`.
fn response(candidate: Value, usage: Value) -> Value {
    json!({
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": GEMINI_MODEL_VERSION,
        "responseId": GEMINI_RESPONSE_ID,
    })
}

/// A candidate (`index` 0) whose content is `parts` from the model; `finish` when it is the last
/// word, `finishMessage` for function calls.
fn candidate(parts: Vec<Value>, finish: Option<&str>) -> Value {
    let calls = parts.iter().any(|p| p.get("functionCall").is_some());
    let mut c = json!({"content": {"parts": parts, "role": "model"}});
    if let Some(f) = finish {
        c["finishReason"] = json!(f);
    }
    c["index"] = json!(0);
    if calls && finish.is_some() {
        c["finishMessage"] = json!(FUNCTION_CALL_FINISH);
    }
    c
}

fn text_part(t: &str) -> Value {
    json!({"text": t})
}

/// `functionCall` parts; the first one carries `signature` (Gemini signs only the first call of
/// a parallel set: thought-signatures docs).
fn call_parts(calls: &[(&str, Value)], signature: Option<&str>) -> Vec<Value> {
    calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            let mut p = json!({"functionCall": {"name": name, "args": args}});
            if let (0, Some(s)) = (i, signature) {
                p["thoughtSignature"] = json!(s);
            }
            p
        })
        .collect()
}

/// The four harm categories of a safety verdict, `blocked` on the one that stopped the answer
/// [ISSUE CherryHQ/cherry-studio#664].
fn safety_ratings() -> Value {
    json!([
        {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true},
        {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
        {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
    ])
}

fn stream_of(events: Vec<String>) -> Reply {
    Reply::Stream(StreamScript {
        events,
        pace: None,
        rechunk: None,
    })
}

/// Streamed text: one chunk per piece with the usage so far, the last with `finishReason`.
fn stream_text(text: &str, n: usize, finish: &str) -> Reply {
    let mut parts = pieces(text, n);
    if parts.is_empty() {
        parts.push(String::new());
    }
    let count = parts.len() as u64;
    let events = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let last = i as u64 + 1 == count;
            // The answer tokens so far grow with the pieces and reach the total on the last.
            let so_far = (GEMINI_CANDIDATES_TOKENS * (i as u64 + 1)).div_ceil(count);
            event(&response(
                candidate(vec![text_part(p)], last.then_some(finish)),
                usage(so_far),
            ))
        })
        .collect();
    stream_of(events)
}

impl Reply {
    /// A `generateContent` answer that calls `name` with `args` (an object, as the API sends
    /// it): one `functionCall` part, `finishReason: "STOP"`, `finishMessage`.
    pub fn gemini_function_call(name: &str, args: Value) -> Reply {
        Reply::gemini_function_calls(&[(name, args)])
    }

    /// A `generateContent` answer with several `functionCall` parts (parallel function calls),
    /// in order.
    pub fn gemini_function_calls(calls: &[(&str, Value)]) -> Reply {
        json_reply(
            200,
            &response(
                candidate(call_parts(calls, None), Some("STOP")),
                usage(GEMINI_CANDIDATES_TOKENS),
            ),
            Vec::new(),
        )
    }

    /// A function call carrying a `thoughtSignature` (base64 text) on its part, as thinking
    /// models (Gemini 2.5 with thinking, every Gemini 3) answer: the signature must come back
    /// on that part in the next request, and Gemini 3 refuses the request without it.
    pub fn gemini_function_call_signed(name: &str, args: Value, thought_signature: &str) -> Reply {
        json_reply(
            200,
            &response(
                candidate(
                    call_parts(&[(name, args)], Some(thought_signature)),
                    Some("STOP"),
                ),
                usage(GEMINI_CANDIDATES_TOKENS),
            ),
            Vec::new(),
        )
    }

    /// A `generateContent` answer with one text part (`finishReason: "STOP"`).
    pub fn gemini_text(text: &str) -> Reply {
        json_reply(
            200,
            &response(
                candidate(vec![text_part(text)], Some("STOP")),
                usage(GEMINI_CANDIDATES_TOKENS),
            ),
            Vec::new(),
        )
    }

    /// A text answer cut off by `maxOutputTokens` (`finishReason: "MAX_TOKENS"`). An empty
    /// `text` gives a content with no `parts` at all, what the real API sends when the limit
    /// is reached while the model is still thinking.
    pub fn gemini_max_tokens(text: &str) -> Reply {
        let mut c = candidate(vec![text_part(text)], Some("MAX_TOKENS"));
        if text.is_empty() {
            c["content"] = json!({"role": "model"});
        }
        json_reply(
            200,
            &response(c, usage(GEMINI_CANDIDATES_TOKENS)),
            Vec::new(),
        )
    }

    /// An answer stopped by the safety filters: one candidate with `finishReason: "SAFETY"`,
    /// `safetyRatings` (one of them `"blocked": true`) and no `content` at all
    /// [ISSUE CherryHQ/cherry-studio#664].
    pub fn gemini_safety_block() -> Reply {
        json_reply(
            200,
            &response(
                json!({"finishReason": "SAFETY", "safetyRatings": safety_ratings()}),
                usage(GEMINI_CANDIDATES_TOKENS),
            ),
            Vec::new(),
        )
    }

    /// A prompt refused before any answer: no `candidates`, `promptFeedback.blockReason:
    /// "SAFETY"` with its `safetyRatings`, and a usage of the prompt alone (the usage fields
    /// are guessed: no public capture shows them on a blocked prompt).
    pub fn gemini_prompt_blocked() -> Reply {
        json_reply(
            200,
            &json!({
                "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": safety_ratings()},
                "usageMetadata": {
                    "promptTokenCount": GEMINI_PROMPT_TOKENS,
                    "totalTokenCount": GEMINI_PROMPT_TOKENS,
                    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": GEMINI_PROMPT_TOKENS}],
                },
                "modelVersion": GEMINI_MODEL_VERSION,
                "responseId": GEMINI_RESPONSE_ID,
            }),
            Vec::new(),
        )
    }

    /// A Google error body `{"error": {"code", "message", "status"}}` with HTTP `status`:
    /// 400 `INVALID_ARGUMENT`, 401 `UNAUTHENTICATED`, 403 `PERMISSION_DENIED`, 404 `NOT_FOUND`,
    /// 429 `RESOURCE_EXHAUSTED`, 500 `INTERNAL`, 503 `UNAVAILABLE`, 504 `DEADLINE_EXCEEDED`.
    pub fn gemini_error(status: u16, google_status: &str, message: &str) -> Reply {
        json_reply(
            status,
            &error_value(status, google_status, message, &[]),
            Vec::new(),
        )
    }

    /// The Gemini API's 404 for a model it does not serve (a retired id, a typo): `NOT_FOUND`
    /// "models/{model} is not found for API version v1beta, or is not supported for
    /// generateContent. Call ListModels to see the list of available models and their supported
    /// methods." (the wording quoted in many public reports).
    pub fn gemini_model_not_found(model: &str) -> Reply {
        Reply::gemini_error(
            404,
            "NOT_FOUND",
            &format!(
                "models/{model} is not found for API version v1beta, or is not supported for \
                 generateContent. Call ListModels to see the list of available models and their \
                 supported methods."
            ),
        )
    }

    /// The Gemini API's 429 for a spent quota: `RESOURCE_EXHAUSTED` with `QuotaFailure`,
    /// `Help` and `RetryInfo {retryDelay}` (`"32s"`, a protobuf Duration) in `error.details`,
    /// and no `Retry-After` header: a client that waits must read `retryDelay`.
    pub fn gemini_rate_limited(retry_delay: &str) -> Reply {
        let message = "You exceeded your current quota, please check your plan and billing \
            details. For more information on this error, head to: \
            https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, \
            head to: https://ai.dev/rate-limit. ";
        let details = [
            json!({
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": GEMINI_MODEL_VERSION},
                    "quotaValue": "10",
                }],
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }],
            }),
            json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}),
        ];
        json_reply(
            429,
            &error_value(429, "RESOURCE_EXHAUSTED", message, &details),
            Vec::new(),
        )
    }

    /// Streamed text (`streamGenerateContent?alt=sse`): `n` characters per chunk, each chunk a
    /// whole `GenerateContentResponse` with the usage so far, the last one with
    /// `finishReason: "STOP"` and the full usage. No `[DONE]`: the stream just ends.
    pub fn gemini_stream_text(text: &str, n: usize) -> Reply {
        stream_text(text, n, "STOP")
    }

    /// A streamed function call: Gemini sends a call whole, in one chunk (`functionCall` with
    /// all its `args`, `finishReason: "STOP"`, the full usage) [REC-STREAM]. Streaming the
    /// arguments in pieces (`FunctionCall.partialArgs`, asked with
    /// `toolConfig.functionCallingConfig.streamFunctionCallArguments`) exists on Vertex AI only
    /// ("This field is not supported in Gemini API", google-genai's `FunctionCall` docs) and is
    /// not faked.
    pub fn gemini_stream_function_call(name: &str, args: Value) -> Reply {
        Reply::gemini_stream_function_calls(&[(name, args)])
    }

    /// Several function calls streamed in one chunk (parallel function calls).
    pub fn gemini_stream_function_calls(calls: &[(&str, Value)]) -> Reply {
        stream_of(vec![event(&response(
            candidate(call_parts(calls, None), Some("STOP")),
            usage(GEMINI_CANDIDATES_TOKENS),
        ))])
    }

    /// A streamed function call with its `thoughtSignature`, as [REC-STREAM] records it.
    pub fn gemini_stream_function_call_signed(
        name: &str,
        args: Value,
        thought_signature: &str,
    ) -> Reply {
        stream_of(vec![event(&response(
            candidate(
                call_parts(&[(name, args)], Some(thought_signature)),
                Some("STOP"),
            ),
            usage(GEMINI_CANDIDATES_TOKENS),
        ))])
    }

    /// Ends the stream after its first `n` events the way the real API fails mid-stream: a
    /// bare, pretty-printed `{"error": {"code", "message", "status"}}` block that is *not* an
    /// SSE event (no `data:`), then the end of the body [ISSUE vercel/ai#5217,
    /// diegosouzapw/OmniRoute#4177] — for instance `(503, "UNAVAILABLE", "The model is
    /// overloaded. Please try again later.")`.
    pub fn gemini_error_after(mut self, n: usize, code: u16, status: &str, message: &str) -> Reply {
        let s = self.script();
        s.events.truncate(n);
        s.events.push(format!(
            "{}\n",
            pretty(&error_value(code, status, message, &[]))
        ));
        self
    }
}

/// `streamGenerateContent` asked without `alt=sse` answers one JSON array of the same
/// `GenerateContentResponse`s (the REST default, `alt=json`: [ISSUE nyo16/nous#26,
/// symfony/ai#2170]); an error answered up front comes as a one-element array too
/// ([ISSUE google-gemini/gemini-cli#6454, #14811]: `[{\n  "error": …}\n]`). The elements are
/// pretty-printed and separated by `\n,\r\n` (the separator is guessed). The array is written
/// at once, without the stream's pacing.
pub(crate) fn json_array(reply: Reply) -> Reply {
    let array = |elements: Vec<String>| format!("[{}\n]", elements.join("\n,\r\n"));
    match reply {
        Reply::Delay(by, next) => Reply::Delay(by, Box::new(json_array(*next))),
        Reply::Stream(script) => {
            let text = script.events.concat().replace("\r\n", "\n");
            let elements = text
                .split("\n\n")
                .filter(|block| !block.trim().is_empty())
                .map(|block| {
                    let data: String = if block.starts_with("data:") {
                        block
                            .lines()
                            .filter_map(|l| l.strip_prefix("data:"))
                            .map(str::trim_start)
                            .collect::<Vec<_>>()
                            .join("\n")
                    } else {
                        block.trim().to_string()
                    };
                    match serde_json::from_str::<Value>(&data) {
                        Ok(v) => pretty(&v),
                        Err(_) => data,
                    }
                })
                .collect();
            Reply::Bytes {
                status: 200,
                body: array(elements).into_bytes(),
                content_type: JSON_CONTENT_TYPE.into(),
                headers: Vec::new(),
            }
        }
        Reply::Bytes {
            status,
            body,
            content_type,
            headers,
        } if status >= 400 => Reply::Bytes {
            status,
            body: array(vec![String::from_utf8_lossy(&body).trim_end().to_string()]).into_bytes(),
            content_type,
            headers,
        },
        Reply::Json {
            status,
            body,
            headers,
        } if status >= 400 => Reply::Bytes {
            status,
            body: array(vec![pretty(&body)]).into_bytes(),
            content_type: JSON_CONTENT_TYPE.into(),
            headers,
        },
        other => other,
    }
}

/// The Gemini forms of [`Reply::from_spec`]; `None` when `kind` is not one of them.
pub(crate) fn from_spec(kind: &str, v: &Value) -> Result<Option<Reply>, String> {
    let text_of = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("`{k}` (a string) is missing in {v}"))
    };
    // Function arguments: a JSON object, or its text.
    let args = || match v.get("args") {
        Some(Value::String(s)) => {
            serde_json::from_str::<Value>(s).map_err(|e| format!("`args` is not JSON: {e}"))
        }
        Some(a @ Value::Object(_)) => Ok(a.clone()),
        _ => Err(format!(
            "`args` (an object or its JSON text) is missing in {v}"
        )),
    };
    let paced = |r: Reply| match v.get("pace_ms").and_then(Value::as_u64).unwrap_or(0) {
        0 => r,
        ms => r.paced(Duration::from_millis(ms)),
    };
    Ok(Some(match kind {
        "gemini_function_call" => Reply::gemini_function_call(&text_of("name")?, args()?),
        "gemini_text" => Reply::gemini_text(v.as_str().ok_or("`gemini_text` is a string")?),
        "gemini_stream_text" => paced(Reply::gemini_stream_text(
            &text_of("text")?,
            v.get("chunk").and_then(Value::as_u64).unwrap_or(8) as usize,
        )),
        "gemini_stream_function_call" => paced(Reply::gemini_stream_function_call(
            &text_of("name")?,
            args()?,
        )),
        "gemini_error" => Reply::gemini_error(
            v.get("status").and_then(Value::as_u64).unwrap_or(500) as u16,
            &text_of("google_status")?,
            &text_of("message")?,
        ),
        "gemini_rate_limited" => Reply::gemini_rate_limited(&text_of("retry_delay")?),
        _ => return Ok(None),
    }))
}
