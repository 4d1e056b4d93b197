import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { expect, test } from "@playwright/test";

import { PASSWORD, pageErrors, settled, signUpOwner } from "./fixtures/pages";

/** The server's `.eml` outbox (no SMTP in the suite): scripts/test.sh says where. */
const MAIL_DIR = process.env.E2E_MAIL_DIR ?? "";

/** A mail as a reader sees it: soft line breaks joined, quoted-printable decoded. */
function readable(raw: string): string {
  const joined = raw.replace(/\r\n/g, "\n").replace(/=\n/g, "");
  const bytes = Buffer.from(joined.replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), "latin1");
  return bytes.toString("utf8");
}

/** The reset link mailed to `email`, once the outbox has written it. */
async function resetLinkFor(email: string): Promise<string> {
  let link = "";
  await expect
    .poll(() => {
      for (const file of readdirSync(MAIL_DIR)) {
        const mail = readable(readFileSync(join(MAIL_DIR, file), "latin1"));
        const found = mail.match(/https?:\/\/\S+\/reset-password\/\S+/);
        if (mail.includes(`To: ${email}`) && found) link = found[0];
      }
      return link;
    }, { timeout: 30_000 })
    .not.toBe("");
  return link;
}

test("a forgotten password is reset through the mailed link, which works once @nojs", async ({ page, javaScriptEnabled }) => {
  test.skip(MAIL_DIR === "", "needs E2E_MAIL_DIR (set by scripts/test.sh)");
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "forgetful", "Forgetful Lamps");
  await page.goto("/login");
  await settled(page, javaScriptEnabled);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page.getByRole("heading", { name: "Reset your password" })).toBeVisible();
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByRole("button", { name: "Mail me a reset link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account exists for that address");

  const link = await resetLinkFor(owner.email);
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await settled(page, javaScriptEnabled);
  // A refused password shows beside the form.
  await page.getByLabel("New password").fill("password");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toContainText("too common");
  await page.goto(link);
  await settled(page, javaScriptEnabled);
  await page.getByLabel("New password").fill("lamps glow at midnight");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Forgetful Lamps" })).toBeVisible();
  // The session from before the reset is signed out; the old password no longer works.
  const me = await page.request.get("/api/v1/me", { headers: { Authorization: `Bearer ${owner.token}` } });
  expect(me.status()).toBe(401);
  const old = await page.request.post("/api/v1/auth/login", { data: { email: owner.email, password: PASSWORD } });
  expect(old.status()).toBe(401);

  // The link worked once.
  await page.goto(link);
  await settled(page, javaScriptEnabled);
  await page.getByLabel("New password").fill("another fresh secret");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toContainText("expired or was already used");
  expect(errors).toEqual([]);
});
