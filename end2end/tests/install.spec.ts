import { expect, test } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner } from "./fixtures/pages";

test("the install checklist ticks itself from real state; the test link opens the live widget @nojs", async ({ page, context, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "install", "Ada's Lamps");
  const auth = { Authorization: `Bearer ${owner.token}` };
  await signIn(page, owner.email, javaScriptEnabled);
  await page.getByRole("link", { name: "Install", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Install Iterochat on Ada's Lamps" })).toBeVisible();
  await expect(page.getByText("0 of 4 done.")).toBeVisible();
  const origin = new URL(page.url()).origin;
  await expect(page.locator("#code-html")).toHaveValue(`<script src="${origin}/widget.js" data-widget-key="${owner.widgetKey}" async></script>`);
  await expect(page.locator("#code-render")).toHaveValue(/Iterochat\.renderWebWidget\(\{\n  widgetKey: "wk_/);
  await expect(page.locator("#code-react")).toHaveValue(/script\.dataset\.widgetKey = "wk_/);
  if (javaScriptEnabled !== false) {
    await settled(page, javaScriptEnabled);
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: /^Copy: Any site/ }).click();
    await expect(page.getByRole("button", { name: /^Copy: Any site/ })).toHaveText("Copied");
  }

  // A document, a page on the customer's site, a test question, a teammate.
  const doc = await page.request.post(`/api/v1/orgs/${owner.orgId}/documents`, {
    headers: auth,
    data: { title: "Returns", content: "You can return any lamp within 30 days of delivery for a full refund." },
  });
  expect(doc.status()).toBe(201);
  const docId = (await doc.json()).id;
  await expect(async () => {
    const d = await page.request.get(`/api/v1/orgs/${owner.orgId}/documents/${docId}`, { headers: auth });
    expect((await d.json()).status).toBe("ready");
  }).toPass({ timeout: 30_000 });
  const onSite = await page.request.post("/api/v1/widget/session", {
    headers: { Origin: "https://shop.example" },
    data: { widget_key: owner.widgetKey },
  });
  expect(onSite.status()).toBe(200);
  if (javaScriptEnabled !== false) {
    // "Send a test message" opens the live widget on the server's preview page.
    const [preview] = await Promise.all([context.waitForEvent("page"), page.getByRole("link", { name: "Send a test message" }).click()]);
    await preview.getByRole("button", { name: "Open chat" }).click();
    await preview.getByRole("textbox", { name: /message/i }).fill("How long do I have to return a lamp?");
    await preview.keyboard.press("Enter");
    await expect(preview.getByText(/30 days/).first()).toBeVisible({ timeout: 15_000 });
    await preview.close();
  } else {
    const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: owner.widgetKey } });
    const visitor = { Authorization: `Bearer ${(await session.json()).visitor_token}` };
    await page.request.post("/api/v1/widget/messages", { headers: visitor, data: { text: "How long do I have to return a lamp?" } });
  }
  const invite = await page.request.post(`/api/v1/orgs/${owner.orgId}/invites`, {
    headers: auth,
    data: { email: "teammate@example.com", role: "agent" },
  });
  expect(invite.status()).toBe(201);

  await page.reload();
  await expect(page.getByText("4 of 4 done.")).toBeVisible();
  await expect(page.locator(".checklist")).toContainText("seen on https://shop.example");
  await expect(page.locator(".checklist li.done")).toHaveCount(4);
  expect(errors).toEqual([]);
});
