// The bridge's refusals as a browser meets them: a page without the token (401) says how to
// get in; a page reached under another host name (DNS rebinding) and a request from another
// site are refused (403).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { quarryServe, tempDir } from "./servers.mjs";
import { launch } from "./browser.mjs";
import { screenshot } from "./helpers.mjs";

let tmp, q, browser;

before(async () => {
  tmp = tempDir();
  q = await quarryServe(tmp.dir, { OPENAI_API_KEY: "sk-e2e" });
  // evil.test resolves to the server, as a rebinding attacker's name would.
  browser = await launch(["--host-resolver-rules=MAP evil.test 127.0.0.1"]);
});

after(async () => {
  await browser?.close();
  q?.stop();
  tmp?.remove();
});

describe("the bridge from the browser's side", () => {
  it("without the token (401) the page says what to open", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    await page.goto(`${q.origin}/`);
    const banner = page.locator(".app-banner");
    await banner.getByText("this call needs the token quarry serve printed").waitFor({ timeout: 15_000 });
    await banner.getByText(/What to do: open the full address quarry serve printed/).waitFor();
    await screenshot(page, "no-token");
    await page.close();
  });

  it("under another host name (403) nothing is served", async () => {
    const page = await browser.newPage();
    const port = new URL(q.origin).port;
    const res = await page.goto(`http://evil.test:${port}/`);
    assert.equal(res.status(), 403);
    assert.match(await page.content(), /forbidden_host/);
    await page.close();
  });

  it("a request from another site (403) is refused", async () => {
    const page = await browser.newPage();
    await page.goto("about:blank");
    const status = await page.evaluate(async ({ origin, token }) => {
      try {
        const r = await fetch(`${origin}/api/rpc`, { method: "POST", mode: "no-cors", headers: { Authorization: `Bearer ${token}` }, body: '{"cmd":"list_runs"}' });
        return r.type;
      } catch (e) {
        return String(e);
      }
    }, { origin: q.origin, token: q.token });
    // The browser hides a cross-site answer; the server's log of it is what counts.
    assert.ok(status === "opaque" || /Failed to fetch/.test(status), status);
    const direct = await fetch(`${q.origin}/api/rpc`, { method: "POST", headers: { Authorization: `Bearer ${q.token}`, Origin: "http://evil.test" }, body: '{"cmd":"list_runs"}' });
    assert.equal(direct.status, 403);
    await page.close();
  });
});
