import { describe, expect, it } from "vitest";
import { describeReport } from "./projectReport";

describe("project reports", () => {
  it("count what was written, one and many", () => {
    expect(describeReport("export", { folder: "/p", schemas: 3, prompts: 1, profiles: 2, notes: [] })).toBe("Wrote 3 schemas, 1 prompt, 2 profiles to /p.");
    expect(describeReport("import", { folder: "/p", schemas: 0, prompts: 2, profiles: 1, notes: [] })).toBe("Imported 0 schemas, 2 prompts, 1 profile from /p.");
  });
});
