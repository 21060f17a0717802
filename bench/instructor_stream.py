#!/usr/bin/env python3
"""CPU of one Python instructor partial stream (create_partial, TOOLS mode) of N records sent
as 8-character argument deltas by quarry-fake-provider, the same stream the Rust benchmark
(`cargo bench -p quarry-engine --bench stream`) reads.

usage: instructor_stream.py BASE_URL N
"""
import json
import sys
import time
from typing import List, Literal

import instructor
from openai import OpenAI
from pydantic import BaseModel, Field

base_url, n = sys.argv[1], int(sys.argv[2])


class Record(BaseModel):
    id: int = Field(ge=0)
    name: str = Field(max_length=64)
    email: str
    score: float
    active: bool
    tier: Literal["bronze", "silver", "gold"]


class Records(BaseModel):
    records: List[Record]


client = instructor.from_openai(OpenAI(base_url=base_url, api_key="sk-bench"), mode=instructor.Mode.TOOLS)
cpu0, wall0 = time.process_time(), time.perf_counter()
updates = 0
last = None
for partial in client.chat.completions.create_partial(
    model="bench", response_model=Records, max_retries=0,
    messages=[{"role": "user", "content": "Extract the records."}],
):
    updates += 1
    last = partial
cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
assert last is not None and len(last.records) == n, (n, last and len(last.records))
print(json.dumps({"impl": f"instructor {instructor.__version__}", "records": n, "updates": updates,
                  "cpu_s": round(cpu, 3), "wall_s": round(wall, 3)}))
