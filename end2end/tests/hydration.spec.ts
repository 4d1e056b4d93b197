import { expect, test } from "@playwright/test";

import { settled, signIn, signUpOwner } from "./fixtures/pages";

// Every dashboard page, loaded one after another as an agent clicking through would, hydrates
// without a panic. A page whose server-rendered HTML and browser view disagree fails only on some
// loads (it depends on when streamed parts arrive), so each page is loaded several times.
const PAGES = [
  "/dashboard",
  "/dashboard/install",
  "/dashboard/conversations",
  "/dashboard/knowledge",
  "/dashboard/team",
  "/dashboard/alerts",
  "/dashboard/feedback",
  "/dashboard/usage",
  "/dashboard/settings",
  "/dashboard/privacy",
];
const ROUNDS = 5;

test("every dashboard page hydrates without an error, load after load", async ({ page, javaScriptEnabled }) => {
  test.skip(javaScriptEnabled === false, "hydration needs JavaScript");
  const { email } = await signUpOwner(page, "hydration", "Hydra Shop");
  await signIn(page, email, javaScriptEnabled);
  const failed: string[] = [];
  page.on("pageerror", (e) => failed.push(`${new URL(page.url()).pathname}: ${e.message}`));
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of PAGES) {
      await page.goto(path);
      await settled(page, javaScriptEnabled);
      await expect(page.locator(".topbar")).toBeVisible();
    }
  }
  expect(failed).toEqual([]);
});
