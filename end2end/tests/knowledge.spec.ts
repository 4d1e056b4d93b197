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
  if (javaScriptEnabled) {
    // The preview renders what the editor holds now, not what was stored.
    await page.getByText("Preview", { exact: true }).click();
    const preview = page.getByTestId("preview");
    await expect(preview.locator("h1")).toHaveText("Repairs");
    await expect(preview.locator("h2").first()).toHaveText("Flat tyres");
    await page.getByLabel("Content (Markdown)").press("Control+End");
    await page.getByLabel("Content (Markdown)").pressSequentially("\n\n**Open on Sundays.**");
    await page.getByRole("button", { name: "Refresh preview" }).click();
    await expect(preview.locator("strong")).toHaveText("Open on Sundays.");
    await expect(page.locator("details.preview textarea")).toHaveCount(0);
  }
  await page.getByRole("button", { name: "Save" }).click();

  await expect(page).toHaveURL(/\/dashboard\/knowledge$/);
  const row = page.locator('tr[data-title="Bike repairs"]');
  await expect(row).toBeVisible();
  // Ingestion runs in the background; the list refreshes itself while anything is processing.
  await expect(row.locator(".badge")).toHaveText("ready", { timeout: 30_000 });
  await expect(row.locator(".chunks")).not.toHaveText("0");

  await settled(page, javaScriptEnabled);
  await page.getByLabel("Question").fill("My tire has a hole, how quickly can you mend it?");
  await page.getByRole("button", { name: "Test", exact: true }).click();
  // What the AI would do, in words, then the passages it reads.
  const verdict = page.getByTestId("verdict");
  await expect(verdict).toContainText("The AI would");
  const first = page.locator("ol.hits li").first();
  await expect(first).toContainText("Bike repairs");
  await expect(first).toContainText("punctures");
  await expect(first.locator(".score")).toHaveText(/^0\.\d\d$/);

  await settled(page, javaScriptEnabled);
  await page.getByLabel("Question").fill("How much does it cost to replace brake pads?");
  await page.getByRole("button", { name: "Test", exact: true }).click();
  await expect(verdict).toContainText("The AI would answer, quoting “Bike repairs”");
  await expect(verdict.locator("blockquote")).toContainText("25 euros");

  await settled(page, javaScriptEnabled);
  await page.getByLabel("Question").fill("Your mechanic scratched my frame, I want my money back");
  await page.getByRole("button", { name: "Test", exact: true }).click();
  await expect(verdict).toContainText("The AI would hand this conversation to your team (Refund request)");
  await expect(verdict.locator("blockquote")).not.toBeEmpty();

  // Deleting asks first; the document stays until the second click.
  await settled(page, javaScriptEnabled);
  await row.locator("summary").click();
  await expect(row).toContainText("It moves to the trash");
  await row.getByRole("button", { name: "Delete Bike repairs" }).click();
  await expect(page.locator('tr[data-title="Bike repairs"]')).toHaveCount(0);
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

  // A text file is titled after its first heading, not its file name.
  await page.locator('input[type="file"]').setInputFiles({
    name: "hours-final-v2.md",
    mimeType: "text/markdown",
    buffer: Buffer.from("# Store hours\n\nWe are open from nine to five, Monday to Saturday."),
  });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.locator('tr[data-title="Store hours"]')).toBeVisible();
});
