import { expect, test } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner, visitorSays } from "./fixtures/pages";

test("an owner adds a signed webhook, sends a test, reads the escalation mail and mutes their alerts @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const { email, widgetKey } = await signUpOwner(page, "alerts", "Ada's Lamps");

  // A visitor asks for a person: the owner's mail is written to the outbox folder.
  expect((await visitorSays(page, widgetKey, "Can I talk to a real person please?")).status).toBe("escalated");

  await signIn(page, email, javaScriptEnabled);
  await page.getByRole("link", { name: "Alerts" }).click();
  await expect(page.getByRole("heading", { name: "Alerts for Ada's Lamps" })).toBeVisible();

  const mail = page.locator("li.mail").first();
  await expect(mail).toContainText("A conversation needs a person");
  await expect(mail).toContainText(email);
  await expect(mail.locator(".status")).toHaveText("delivered");
  // What the owner gets, said as it is.
  await expect(page.locator(".notify-state")).toHaveText("You get a mail for every escalation in Ada's Lamps.");

  // A refused private target explains itself; a public one shows its secret once.
  await settled(page, javaScriptEnabled);
  await page.getByLabel("URL").fill("http://127.0.0.1:9/hook");
  await page.getByRole("button", { name: "Add webhook" }).click();
  await expect(page.getByRole("alert")).toContainText("private or loopback");
  await settled(page, javaScriptEnabled);
  await page.getByLabel("URL").fill("https://93.184.216.34/iterochat");
  await page.getByRole("button", { name: "Add webhook" }).click();
  await expect(page.locator(".webhook-secret")).toHaveText(/^whsec_/);
  const hook = page.locator('li.webhook[data-url="https://93.184.216.34/iterochat"]');
  await expect(hook).toContainText("conversation.escalated");

  await settled(page, javaScriptEnabled);
  await hook.getByRole("button", { name: "Send test" }).click();
  await expect(page.locator("li.webhook tr.delivery").first()).toContainText("webhook.test");

  await settled(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Stop escalation mails to me" }).click();
  await expect(page.locator(".notify-state")).toHaveAttribute("data-state", "off");
  await expect(page.locator(".notify-state")).toContainText("you turned your escalation mails off");
  await expect(page.getByRole("button", { name: "Send me escalation mails" })).toBeVisible();
  expect(errors).toEqual([]);
});
