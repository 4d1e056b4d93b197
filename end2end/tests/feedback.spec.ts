import { gzipSync } from "node:zlib";

import { expect, test, type Page } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner } from "./fixtures/pages";

/** The demo customer site the server runs on another port: another origin, as a customer's. */
const SITE = process.env.DEMO_URL ?? "http://127.0.0.1:3138";

/** Creates a project and its `checkout-success` event on the dashboard; returns the project id and key. */
async function projectOnDashboard(page: Page, javaScriptEnabled: boolean | undefined) {
  await page.goto("/dashboard/feedback");
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Name").fill("Web shop");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/dashboard\/feedback\/project-[a-z0-9]+\?reveal=[0-9a-f-]+$/);
  await settled(page, javaScriptEnabled);
  const projectId = (await page.locator(".project-id").textContent())!.trim();
  const secret = (await page.locator(".project-secret").textContent())!.trim();
  expect(secret).toMatch(/^isk_/);
  await expect(page.locator("pre.snippet")).toContainText(`IteratoService.init("${projectId}")`);

  // A bad event id is refused with a message; a good one is listed.
  await page.getByLabel("Event id").fill("has spaces");
  await page.getByLabel("Name", { exact: true }).fill("Checkout");
  await page.getByRole("button", { name: "Add event" }).click();
  await expect(page.locator(".form-error")).toContainText("may contain letters, digits");
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Event id").fill("checkout-success");
  await page.getByLabel("Name", { exact: true }).fill("Checkout");
  await page.getByLabel("Question (optional)").fill("How was paying today?");
  await page.getByRole("button", { name: "Add event" }).click();
  await expect(page.locator('tr.event[data-event="checkout-success"]')).toContainText("How was paying today?");
  expect(page.url()).not.toContain(secret);
  // The key is shown once: the same URL again only names its last characters.
  await page.goto(page.url());
  await expect(page.locator(".project-id")).toHaveText(projectId);
  await expect(page.locator(".project-secret")).toHaveCount(0);
  await expect(page.getByText(`Secret key ends in ${secret.slice(-4)}`)).toBeVisible();
  return { projectId, secret };
}

test("an owner creates a feedback project and an event on the dashboard @nojs", async ({ page, javaScriptEnabled }) => {
  const owner = await signUpOwner(page, "feedback-dash", "Feedback Shop");
  await signIn(page, owner.email, javaScriptEnabled);
  const { projectId, secret } = await projectOnDashboard(page, javaScriptEnabled);
  await settled(page, javaScriptEnabled);

  // Rotating asks for a confirming tick; the new key is shown once and the old one is dead.
  await page.getByLabel("The current key stops working at once").check();
  await page.getByRole("button", { name: "Rotate secret key" }).click();
  await expect(page.locator(".project-secret")).toHaveText(/^isk_/);
  const rotated = (await page.locator(".project-secret").textContent())!.trim();
  expect(rotated).not.toBe(secret);
  const fetch = (key: string) => page.request.post("/fetchFeedbacks", {
    headers: { Authorization: `Bearer ${key}` }, data: { project_id: projectId },
  });
  expect((await fetch(secret)).status()).toBe(401);
  expect((await fetch(rotated)).status()).toBe(200);

  await page.goto("/dashboard/feedback");
  await expect(page.locator("tr.project")).toContainText(projectId);
});

test("a site on another origin collects a 👎 with a conversation, and fetchFeedbacks returns it", async ({ page }) => {
  const owner = await signUpOwner(page, "feedback-sdk", "Feedback Shop");
  await signIn(page, owner.email, true);
  const { projectId, secret } = await projectOnDashboard(page, true);

  const errors = pageErrors(page);
  const warnings: string[] = [];
  page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  await page.goto(`${SITE}/feedback?project=${projectId}&manual=1`);

  // Before init: a clear warning, no toast, no crash.
  expect(await page.evaluate(() => (window as any).IteratoService.setUser({ uid: "early" }))).toBe(false);
  await page.evaluate(() => (window as any).IteratoService.collect("checkout-success", "paid"));
  await expect.poll(() => warnings.join("\n")).toContain("init");

  expect(await page.evaluate((id) => (window as any).IteratoService.init(id), projectId)).toBe(true);
  expect(await page.evaluate(() => (window as any).IteratoService.setUser({
    uid: "u-42", userName: "Ana", userEmail: "ana@example.com", plan: "Premium", Features: ["Live Streaming"],
  }))).toBe(true);
  await page.evaluate(() => {
    console.log("cart loaded");
    console.error("boom");
    (window as any).IteratoService.collect("checkout-success", ["paid"]);
  });

  const toast = page.locator("#iterato-feedback .toast");
  await expect(toast).toBeVisible();
  await expect(toast.locator(".question")).toHaveText("How was paying today?");
  await toast.locator(".down").click();
  await expect(toast.locator(".log")).toContainText("What went wrong?");
  const input = toast.locator(".answer input");
  await expect(input).toBeFocused();
  await input.fill("The card form froze when I pressed Pay");
  await input.press("Enter");
  await expect(toast.locator(".log")).toContainText("The card form froze when I pressed Pay");
  await expect(toast.locator(".log")).toContainText("passed this on");
  await expect(page.locator("#iterato-feedback")).toHaveCount(0, { timeout: 10_000 });

  // An unknown event shows nothing.
  await page.evaluate(() => (window as any).IteratoService.collect("no-such-event", ["paid"]));
  await expect.poll(() => warnings.join("\n")).toContain("no-such-event");
  await expect(page.locator("#iterato-feedback")).toHaveCount(0);

  // 👍 thanks and closes.
  await page.evaluate(() => (window as any).IteratoService.collect("checkout-success", "happy"));
  await page.locator("#iterato-feedback .up").click();
  await expect(page.locator("#iterato-feedback .thanks")).toBeVisible();
  expect(errors).toEqual([]);

  // The site owner's server: the seed's request, filtered by tag.
  const fetched = await page.request.post("/fetchFeedbacks", {
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    data: { project_id: projectId, tag: "paid", event_id: "checkout-success" },
  });
  expect(fetched.status()).toBe(200);
  const entries = Object.entries(await fetched.json()) as [string, any][];
  expect(entries).toHaveLength(1);
  const [id, entry] = entries[0];
  expect(entry.reaction).toBe("negative");
  expect(entry.user_info).toMatchObject({ uid: "u-42", userName: "Ana", userEmail: "ana@example.com", plan: "Premium" });
  expect(entry.conversation_summery).toContain("card form froze");
  expect(entry.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // The diagnostics stored with it: the console (from init on), browser and connectivity.
  const list = await page.request.get(`/api/v1/orgs/${owner.orgId}/feedback-projects/${projectId}/feedback?tag=paid`, {
    headers: { Authorization: `Bearer ${owner.token}` },
  });
  const item = (await list.json()).items.find((f: any) => f.id === id);
  const messages = item.console_log.map((e: any) => `${e.level}:${e.message}`);
  expect(messages).toContain("error:boom");
  expect(messages).toContain("log:cart loaded");
  expect(item.browser).toContain("Chrome");
  expect(item.connectivity.online).toBe(true);
  expect(item.ip_details.ip).toBe("127.0.0.1");

  // The dashboard shows the summary and the counts.
  await page.goto(`/dashboard/feedback/${projectId}`);
  await expect(page.locator(".feedback-summary").first()).toContainText("card form froze");
  await expect(page.locator('tr.event[data-event="checkout-success"] .count-negative')).toHaveText("1");
  await expect(page.locator('tr.event[data-event="checkout-success"] .count-positive')).toHaveText("1");
  await page.getByLabel("Reaction").selectOption("positive");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.locator("li.feedback")).toHaveCount(1);
  await expect(page.locator("li.feedback .badge.tag")).toHaveText("happy");
});

test("init with an unknown project resolves false", async ({ page }) => {
  const errors = pageErrors(page);
  await page.goto(`${SITE}/feedback?project=project-doesnotexist&manual=1`);
  expect(await page.evaluate(() => (window as any).IteratoService.init("project-doesnotexist"))).toBe(false);
  await page.evaluate(() => (window as any).IteratoService.collect("checkout-success", "paid"));
  await page.waitForTimeout(300);
  await expect(page.locator("#iterato-feedback")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("the feedback SDK a site downloads is at most 30 KB gzipped", async ({ request }) => {
  const loader = await request.get("/sdk/iterato.js");
  expect(loader.status()).toBe(200);
  expect(loader.headers()["access-control-allow-origin"]).toBe("*");
  const text = await loader.text();
  const files = [...text.matchAll(/\/widget\/(iterato_feedback-[0-9a-f]+\.(?:js|wasm))/g)].map((m) => m[1]);
  expect(files).toHaveLength(2);
  let total = gzipSync(Buffer.from(text), { level: 9 }).length;
  for (const file of files) {
    const response = await request.get(`/widget/${file}`);
    expect(response.status()).toBe(200);
    total += gzipSync(await response.body(), { level: 9 }).length;
  }
  console.log(`feedback SDK download: ${total} bytes gzipped (loader + glue + wasm)`);
  expect(total).toBeLessThanOrEqual(30 * 1024);
});

test("an owner deletes a feedback project; it waits in the trash and its key stops @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "fbdel", "Ada's Lamps");
  const auth = { Authorization: `Bearer ${owner.token}` };
  const created = await (await page.request.post(`/api/v1/orgs/${owner.orgId}/feedback-projects`, { headers: auth, data: { name: "Checkout" } })).json();
  await signIn(page, owner.email, javaScriptEnabled);
  await page.goto(`/dashboard/feedback/${created.project_id}`);
  await settled(page, javaScriptEnabled);
  await page.getByText("Delete this project").click();
  await page.getByLabel(/Its key stops working/).check();
  await page.getByRole("button", { name: "Delete project" }).click();
  await expect(page).toHaveURL(/\/dashboard\/feedback$/);
  await expect(page.getByRole("link", { name: "Checkout", exact: true })).toHaveCount(0);
  const fetch = await page.request.post("/fetchFeedbacks", {
    headers: { Authorization: `Bearer ${created.secret_key}` },
    data: { project_id: created.project_id },
  });
  expect(fetch.status()).toBe(401);
  await page.goto("/dashboard/privacy");
  await expect(page.locator("#trash")).toContainText("Feedback project");
  await expect(page.locator("#trash")).toContainText("Checkout");
  expect(errors).toEqual([]);
});
