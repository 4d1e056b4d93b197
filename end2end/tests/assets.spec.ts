import { expect, test } from "@playwright/test";

// What a browser downloads for the dashboard's first load, measured as Chromium received it
// (compressed bodies and headers), and what a second load costs.
test("the dashboard's bundle arrives brotli-compressed from the build, and a reload revalidates it", async ({ page, baseURL }) => {
  const seen: { url: string; bytes: number; encoding?: string; status: number }[] = [];
  page.on("requestfinished", async (request) => {
    const response = await request.response();
    const sizes = await request.sizes();
    seen.push({
      url: request.url(),
      bytes: sizes.responseBodySize + sizes.responseHeadersSize,
      encoding: response ? (await response.allHeaders())["content-encoding"] : undefined,
      status: response?.status() ?? 0,
    });
  });
  await page.goto("/login");
  await page.waitForLoadState("networkidle");
  const wasm = seen.find((r) => r.url.endsWith(".wasm"));
  expect(wasm?.encoding).toBe("br");
  const total = seen.filter((r) => r.url.startsWith(baseURL!)).reduce((sum, r) => sum + r.bytes, 0);
  console.log(`dashboard first load: ${total} bytes over the wire (wasm ${wasm?.bytes} bytes, brotli)`);
  // The target is 300 KB and is not met (see the README): this only guards against growth.
  expect(total).toBeLessThanOrEqual(800 * 1024);

  seen.length = 0;
  await page.reload();
  await page.waitForLoadState("networkidle");
  const again = seen.filter((r) => r.url.includes("/pkg/"));
  expect(again.length).toBeGreaterThan(0);
  const reloaded = again.reduce((sum, r) => sum + r.bytes, 0);
  console.log(`dashboard reload: ${reloaded} bytes for /pkg (${again.map((r) => r.status).join(", ")})`);
  expect(reloaded).toBeLessThan(10 * 1024);
});
