#!/usr/bin/env python3
"""CPU per call of Python instructor on the same work quarry does in bench/cpu_per_call.sh:
TOOLS mode against the same fake provider, the same schema, max_retries=3.

usage: instructor_cpu.py BASE_URL small|wide CALLS
"""
import json
import pathlib
import sys
import time
from typing import Annotated

import instructor
from openai import OpenAI
from pydantic import BaseModel, Field, create_model

base_url, which, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
schema = json.loads((pathlib.Path(__file__).parent / "fixtures" / f"{which}.schema.json").read_text())

TYPES = {"string": str, "integer": int, "number": float, "boolean": bool}


def model_for(name, s):
    """A pydantic model equivalent to the JSON Schema fixture (objects of typed fields)."""
    fields = {}
    for key, prop in s["properties"].items():
        if prop.get("type") == "object":
            fields[key] = (model_for(key.title().replace("_", ""), prop), ...)
        else:
            constraints = {}
            if "minimum" in prop:
                constraints["ge"] = prop["minimum"]
            if "maxLength" in prop:
                constraints["max_length"] = prop["maxLength"]
            t = TYPES[prop["type"]]
            fields[key] = (Annotated[t, Field(description=prop.get("description"), **constraints)], ...)
    return create_model(name, **fields)


Model = model_for(schema["title"], schema)
client = instructor.from_openai(OpenAI(base_url=base_url, api_key="sk-bench"), mode=instructor.Mode.TOOLS)


def call():
    return client.chat.completions.create(
        model="bench",
        response_model=Model,
        max_retries=3,
        messages=[{"role": "user", "content": "Extract the data."}],
    )


for _ in range(20):  # warm up imports, connection pool, pydantic caches
    call()
latencies = []
cpu0 = time.process_time()
for _ in range(calls):
    t0 = time.perf_counter()
    call()
    latencies.append(time.perf_counter() - t0)
cpu = time.process_time() - cpu0
latencies.sort()
p50 = latencies[max(0, -(-len(latencies) // 2) - 1)]  # nearest rank, as quarry reports it
print(json.dumps({"impl": f"instructor {instructor.__version__}", "schema": which, "calls": calls,
                  "cpu_us_per_call": round(cpu / calls * 1e6, 1),
                  "p50_ms": round(p50 * 1e3, 3)}))
