import assert from "node:assert/strict";
import { hasChromium, saveScreenshot, withBrowser } from "./browser.ts";

Deno.test({
  name: "browser: headless Chromium renders a loopback page",
  ignore: !hasChromium(),
  async fn() {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("<h1>p2p</h1>", { headers: { "content-type": "text/html" } }),
    );
    try {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${server.addr.port}/`);
        assert.equal(await page.$eval("h1", (element) => element.textContent), "p2p");
        await saveScreenshot(page, "browser-smoke");
      });
    } finally {
      await server.shutdown();
    }
  },
});
