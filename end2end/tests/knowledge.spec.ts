import { expect, test } from "@playwright/test";

import { PASSWORD, pageErrors, settled, uniqueEmail } from "./fixtures/pages";

test("an admin adds a help article, watches it become ready, and the test box finds it @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const email = uniqueEmail("kb");
  const signup = await page.request.post("/api/v1/auth/signup", {
    data: { email, password: PASSWORD, name: "Kim", organization_name: "Kim's Bikes" },
  });
  expect(signup.status()).toBe(201);
  await page.goto("/login");
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.getByRole("link", { name: "Knowledge base" }).click();
  await expect(page.getByRole("heading", { name: "Knowledge base" })).toBeVisible();
  await page.getByRole("link", { name: "Write a document" }).click();
  await expect(page.getByRole("heading", { name: "New document" })).toBeVisible();
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Title").fill("Bike repairs");
  await page
    .getByLabel("Content (Markdown)")
    .fill("# Repairs\n\n## Flat tyres\nWe fix punctures while you wait, usually in 20 minutes, for 12 euros.\n\n## Brakes\nBrake pads are replaced for 25 euros including parts.");
  await page.getByRole("button", { name: "Save" }).click();

  await expect(page).toHaveURL(/\/dashboard\/knowledge$/);
  const row = page.locator('tr[data-title="Bike repairs"]');
  await expect(row).toBeVisible();
  // Ingestion runs in the background; the list refreshes itself while anything is processing.
  await expect(row.locator(".badge")).toHaveText("ready", { timeout: 30_000 });
  await expect(row.locator(".chunks")).not.toHaveText("0");

  await settled(page, javaScriptEnabled);
  await page.getByLabel("Question").fill("My tire has a hole, how quickly can you mend it?");
  await page.getByRole("button", { name: "Search" }).click();
  const first = page.locator("ol.hits li").first();
  await expect(first).toContainText("Bike repairs");
  await expect(first).toContainText("punctures");
  await expect(first.locator(".score")).toHaveText(/^0\.\d\d$/);
  expect(errors).toEqual([]);
});

test("uploading a binary file explains why it was refused @nojs", async ({ page }) => {
  const email = uniqueEmail("upload");
  await page.request.post("/api/v1/auth/signup", { data: { email, password: PASSWORD, name: "Uma", organization_name: "Uma Co" } });
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto("/dashboard/knowledge");
  await page.locator('input[type="file"]').setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]) });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("unsupported file type");
  await expect(page.getByText("No documents yet")).toBeVisible();
});
