import { describe, expect, it } from "vitest";
import type { LocalServer } from "../../api/types";
import { codeSpans, describeModel, isLocalServer, mergeSuggestions, notRunningText } from "./localModels";

const ollama = (over: Partial<LocalServer> = {}): LocalServer => ({
  provider: "ollama",
  base_url: "http://localhost:11434",
  running: true,
  models: [
    { id: "qwen3:8b", tools: true, details: "8.2B, Q4_K_M" },
    { id: "llava", tools: false, vision: true },
  ],
  start: "ollama serve",
  constrained: ["json_schema"],
  ...over,
});

describe("local models", () => {
  it("knows the four local servers and nothing else", () => {
    expect(["ollama", "llamacpp", "vllm", "lmstudio"].every(isLocalServer)).toBe(true);
    expect(isLocalServer("openai")).toBe(false);
  });

  it("suggest the running models first, then the fixed ones not listed", () => {
    expect(mergeSuggestions(["llava", "mistral"], ollama())).toEqual([{ id: "qwen3:8b", label: "8.2B, Q4_K_M" }, { id: "llava" }, { id: "mistral" }]);
    expect(mergeSuggestions(["mistral"], undefined)).toEqual([{ id: "mistral" }]);
  });

  it("say what the chosen model supports, unknown when the server does not say", () => {
    expect(describeModel(ollama(), "qwen3:8b")).toBe("qwen3:8b: tools: yes · vision: unknown · schema-constrained in json_schema mode");
    expect(describeModel(ollama({ constrained: ["json", "json_schema"] }), "qwen3:8b")).toMatch(/· schema-constrained in json and json_schema modes$/);
    expect(describeModel(ollama({ constrained: [] }), "llava")).toBe("llava: tools: no · vision: yes · no schema-constrained mode");
  });

  it("say when the model typed is not among the server's, or none is chosen", () => {
    expect(describeModel(ollama(), "gemma")).toBe("ollama has 2 models; gemma is not one of them (tools: unknown)");
    expect(describeModel(ollama(), "")).toBe("ollama has 2 models: pick one in Model");
    expect(describeModel(ollama({ models: [] }), "x")).toBe("ollama answers at http://localhost:11434 but lists no models");
  });

  it("pass on what an unreadable server answered", () => {
    expect(describeModel(ollama({ models: [], problem: "http://x/api/tags answered HTTP 404" }), "x")).toBe("http://x/api/tags answered HTTP 404");
  });

  it("say where nothing answered", () => {
    const down = ollama({ running: false, models: [], problem: "nothing answers" });
    expect(describeModel(down, "qwen3:8b")).toBeNull();
    expect(notRunningText(down)).toBe("No ollama answers at http://localhost:11434.");
  });
});

describe("start commands", () => {
  it("are cut into text and the commands in backticks", () => {
    expect(codeSpans("`ollama serve`, then `ollama pull MODEL`")).toEqual([
      { code: true, text: "ollama serve" },
      { code: false, text: ", then " },
      { code: true, text: "ollama pull MODEL" },
    ]);
    expect(codeSpans("run it")).toEqual([{ code: false, text: "run it" }]);
  });
});
