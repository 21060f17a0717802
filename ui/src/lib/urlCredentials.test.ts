import { describe, expect, it } from "vitest";
import { withoutUrlCredentials } from "./urlCredentials";

describe("withoutUrlCredentials", () => {
  it("leaves a URL without credentials exactly as typed", () => {
    for (const url of ["", "http://localhost:11434/v1", "https://x.openai.azure.com/openai?api-version=2024-10-21", "not a url"]) {
      expect(withoutUrlCredentials(url)).toBe(url);
    }
  });

  it("takes out user:password@ and key-like query parameters", () => {
    expect(withoutUrlCredentials("https://me:s3cret@proxy.example:8080/v1")).toBe("https://proxy.example:8080/v1");
    expect(withoutUrlCredentials("https://a@b:c@host/v1?x=@")).toBe("https://host/v1?x=@");
    expect(withoutUrlCredentials("https://host/v1?api-version=1&api-key=s3cret#top")).toBe("https://host/v1?api-version=1#top");
    expect(withoutUrlCredentials("https://host/v1?key=s3cret")).toBe("https://host/v1");
    expect(withoutUrlCredentials("https://host/v1?%61pi_key=s3cret&sig=1&code=2")).toBe("https://host/v1");
  });
});
