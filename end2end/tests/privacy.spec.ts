import { expect, test } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner } from "./fixtures/pages";

test("an owner exports, deletes a document and restores it, and erases a conversation from the dashboard @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "privacy", "Ada's Lamps");
  const auth = { Authorization: `Bearer ${owner.token}` };
  const doc = await page.request.post(`/api/v1/orgs/${owner.orgId}/documents`, {
    headers: auth,
    data: { title: "Returns", content: "You can return any lamp within 30 days of delivery for a full refund." },
  });
  expect(doc.status()).toBe(201);
  const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: owner.widgetKey } });
  const visitor = (await session.json()).visitor_token;
  const visitorAuth = { Authorization: `Bearer ${visitor}` };
  await page.request.post("/api/v1/widget/contact", { headers: visitorAuth, data: { name: "Ana", email: "ana@example.com" } });
  const turn = await page.request.post("/api/v1/widget/messages", { headers: visitorAuth, data: { text: "I want to talk to a person" } });
  const conversationId = (await turn.json()).conversation_id;

  await signIn(page, owner.email, javaScriptEnabled);
  await page.getByRole("link", { name: "Data & privacy" }).click();
  await expect(page.getByRole("heading", { name: "Data & privacy for Ada's Lamps" })).toBeVisible();
  await expect(page.locator("#contacts")).toContainText("ana@example.com");
  await expect(page.locator("#audit")).toBeVisible();

  // Export: the job runs in the background; the page shows its progress, then the download.
  await settled(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Export all data" }).click();
  const download = page.locator("#exports").getByRole("link", { name: /Download/ });
  if (javaScriptEnabled === false) {
    await expect(async () => {
      await page.goto("/dashboard/privacy");
      await expect(download).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
  } else {
    await expect(download).toBeVisible({ timeout: 30_000 });
  }
  const [file] = await Promise.all([page.waitForEvent("download"), download.click()]);
  expect(file.suggestedFilename()).toMatch(/^iterochat-export-.*\.tar\.gz$/);

  // Delete the document from the knowledge base; it waits in the trash and comes back.
  await page.goto("/dashboard/knowledge");
  await settled(page, javaScriptEnabled);
  // Delete asks first: the button that deletes is behind a disclosure.
  await expect(page.getByRole("button", { name: "Delete Returns" })).toBeHidden();
  await page.locator('tr[data-title="Returns"] summary').click();
  await page.getByRole("button", { name: "Delete Returns" }).click();
  await expect(page.locator('tr[data-title="Returns"]')).toHaveCount(0);
  await page.goto("/dashboard/privacy");
  await settled(page, javaScriptEnabled);
  const trash = page.locator("#trash");
  await expect(trash).toContainText("Returns");
  await trash.getByRole("button", { name: "Restore document Returns" }).click();
  await expect(trash).toContainText("The trash is empty.");
  await page.goto("/dashboard/knowledge");
  await expect(page.locator('tr[data-title="Returns"]')).toBeVisible();

  // Erase the conversation: a wrong confirmation word changes nothing.
  await page.goto(`/dashboard/conversations/${conversationId}`);
  await settled(page, javaScriptEnabled);
  await page.getByText("Delete or erase this conversation").click();
  const confirm = page.getByLabel(/to erase it for good/);
  await confirm.fill("yes");
  await page.getByRole("button", { name: "Erase for good" }).click();
  await expect(page.getByRole("alert")).toContainText('type "erase" to confirm');
  const still = await page.request.get(`/api/v1/orgs/${owner.orgId}/conversations/${conversationId}`, { headers: auth });
  expect(still.status()).toBe(200);
  if (javaScriptEnabled === false) {
    await page.goto(`/dashboard/conversations/${conversationId}`);
    await page.getByText("Delete or erase this conversation").click();
  }
  await page.getByLabel(/to erase it for good/).fill("erase");
  await page.getByRole("button", { name: "Erase for good" }).click();
  await expect(page).toHaveURL(/\/dashboard\/conversations$/);
  const gone = await page.request.get(`/api/v1/orgs/${owner.orgId}/conversations/${conversationId}`, { headers: auth });
  expect(gone.status()).toBe(404);

  await page.goto("/dashboard/privacy");
  const audit = page.locator("#audit");
  await expect(audit).toContainText("Erased");
  await expect(audit).toContainText("Restored");
  await expect(audit).toContainText("Export");
  // Times read in the agent's own time zone once the page runs; UTC (said so) without JavaScript.
  const when = audit.locator("time").first();
  await expect(when).toHaveAttribute("datetime", /^\d{4}-\d{2}-\d{2}T/);
  if (javaScriptEnabled === false) await expect(when).toContainText("UTC");
  else await expect(when).not.toContainText("UTC");
  expect(errors).toEqual([]);
});

test("the usage page shows this month's figures, a chart and a CSV @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "usage", "Ada's Lamps");
  const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: owner.widgetKey } });
  const visitorAuth = { Authorization: `Bearer ${(await session.json()).visitor_token}` };
  await page.request.post("/api/v1/widget/messages", { headers: visitorAuth, data: { text: "I want to talk to a person" } });

  await signIn(page, owner.email, javaScriptEnabled);
  await page.getByRole("link", { name: "Usage" }).click();
  await expect(page.getByRole("heading", { name: "Usage for Ada's Lamps" })).toBeVisible();
  const month = new Date().toISOString().slice(0, 7);
  const row = page.locator("table.usage tbody tr").first();
  await expect(row.locator("td").first()).toHaveText(month);
  await expect(row.locator("td").nth(1)).toHaveText("1");
  await expect(row.locator("td").nth(4)).toHaveText("1");
  await expect(page.getByRole("img", { name: /Conversations per month/ })).toBeVisible();
  const csv = await page.request.get(await page.getByRole("link", { name: "Download CSV" }).getAttribute("href") ?? "");
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain(`"${month}","1"`);
  expect(errors).toEqual([]);
});
