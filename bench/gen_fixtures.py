#!/usr/bin/env python3
"""Writes the benchmark fixtures: a small schema and a nested one with 500+ properties, each
with a valid chat-completion reply for the fake provider. Deterministic; rerun to regenerate."""
import json
import pathlib

here = pathlib.Path(__file__).parent / "fixtures"
here.mkdir(exist_ok=True)

def reply(name, args):
    return {
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "bench",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": name, "arguments": json.dumps(args)}}]}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 20, "total_tokens": 140},
    }

small = {
    "title": "User", "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
(here / "small.schema.json").write_text(json.dumps(small, indent=2) + "\n")
(here / "small.reply.json").write_text(json.dumps(reply("User", {"name": "Jason", "age": 25})) + "\n")

# 25 sections x 20 typed fields = 500 leaf properties, plus the 25 section objects.
KINDS = [("string", "text"), ("integer", 7), ("number", 2.5), ("boolean", True)]
sections, answer = {}, {}
for s in range(25):
    props, values = {}, {}
    for f in range(20):
        kind, value = KINDS[f % 4]
        prop = {"type": kind, "description": f"field {f} of section {s}"}
        if kind == "integer":
            prop["minimum"] = 0
        if kind == "string":
            prop["maxLength"] = 200
        props[f"field_{f:02d}"] = prop
        values[f"field_{f:02d}"] = value if kind != "string" else f"value {s}.{f}"
    sections[f"section_{s:02d}"] = {"type": "object", "properties": props, "required": sorted(props)}
    answer[f"section_{s:02d}"] = values
wide = {"title": "Wide", "type": "object", "properties": sections, "required": sorted(sections)}
(here / "wide.schema.json").write_text(json.dumps(wide, indent=1) + "\n")
(here / "wide.reply.json").write_text(json.dumps(reply("Wide", answer)) + "\n")
print("wrote", sorted(p.name for p in here.iterdir()))
