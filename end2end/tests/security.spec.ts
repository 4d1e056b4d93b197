import { expect, test } from "@playwright/test";

import { PASSWORD, pageErrors, settled, signIn, signUpOwner } from "./fixtures/pages";

/** The demo customer site: another origin on the same host, so the same *site* for the browser. */
const SITE = process.env.DEMO_URL ?? "http://127.0.0.1:3138";

test("a page on another origin of the same site cannot sign the agent out with their cookie", async ({ page, baseURL }) => {
  const owner = await signUpOwner(page, "csrf", "Ada's Lamps");
  await signIn(page, owner.email, true);
  await settled(page, true);
  const action = await page.locator('form[action^="/api/sign_out"]').getAttribute("action");
  expect(action).toBeTruthy();

  // Another port of the same host: SameSite=Lax sends the cookie along with this form post.
  await page.goto(`${SITE}/?key=${owner.widgetKey}`);
  const response = page.waitForResponse((r) => r.url().startsWith(`${baseURL}/api/sign_out`));
  await page.evaluate((target) => {
    const form = document.createElement("form");
    form.method = "POST";
    form.action = target;
    document.body.appendChild(form);
    form.submit();
  }, `${baseURL}${action}`);
  expect((await response).status()).toBe(403);
  await page.waitForURL(/\/api\/sign_out/);

  // Still signed in.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
});

test("after sign-in, a next address that a browser reads as another site leads to the dashboard @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "next", "Ada's Lamps");
  await page.goto("/login?next=/%09/evil.example");
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/dashboard$/);
  expect(errors).toEqual([]);
});
