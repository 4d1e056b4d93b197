import { expect, test, type Page } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner } from "./fixtures/pages";

/** The demo customer site the server runs on another port. */
const SITE = process.env.DEMO_URL ?? "http://127.0.0.1:3138";

// A 390 × 844 touch screen (an iPhone 12 to 15).
test.use({ viewport: { width: 390, height: 844 }, hasTouch: true });

/** The page is no wider than the screen: nothing to scroll sideways. */
async function fitsTheScreen(page: Page) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
}

test("on a phone the workspace shows one pane at a time: the list, then the conversation with its composer", async ({ page }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "phone", "Ada's Lamps");
  const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: owner.widgetKey } });
  const visitor = { Authorization: `Bearer ${(await session.json()).visitor_token}` };
  const turn = await page.request.post("/api/v1/widget/messages", { headers: visitor, data: { text: "Can I talk to a real person about my lamp order?" } });
  expect((await turn.json()).status).toBe("escalated");

  await signIn(page, owner.email, true);
  await page.goto("/dashboard/conversations");
  await settled(page, true);
  const list = page.locator(".list-pane");
  await expect(list).toBeVisible();
  await expect(page.locator(".stats .unresolved")).toHaveText("1");
  await fitsTheScreen(page);

  await page.locator("li.conversation a.open").tap();
  await expect(page.locator(".line.visitor")).toContainText("lamp order");
  await expect(list).toBeHidden();
  await expect(page.locator(".pinned .summary")).toBeVisible();
  await fitsTheScreen(page);

  await page.getByRole("button", { name: "Claim" }).tap();
  await expect(page.getByTestId("status")).toHaveText("claimed");
  // The composer stays at the bottom of the screen while the thread scrolls above it.
  const box = page.getByLabel("Reply to the visitor");
  await expect(box).toBeInViewport();
  await expect(box).toHaveCSS("font-size", "16px");
  await box.fill("Hi, Ada here: I'm looking at your order now.");
  await page.getByRole("button", { name: "Send" }).tap();
  await expect(page.locator(".line.agent")).toContainText("looking at your order");

  await page.getByRole("link", { name: "← Inbox" }).tap();
  await expect(list).toBeVisible();
  await expect(page.locator("li.conversation")).toHaveCount(1);
  await fitsTheScreen(page);
  expect(errors).toEqual([]);
});

test("on a phone the widget fills the screen, takes 16 px input and answers", async ({ page }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "phone-widget", "Lamp Shop");
  const auth = { Authorization: `Bearer ${owner.token}` };
  const doc = await page.request.post(`/api/v1/orgs/${owner.orgId}/documents`, {
    headers: auth,
    data: { title: "Opening hours", content: "# Opening hours\n\nOur shop is open from 9 to 17 on weekdays." },
  });
  const docId = (await doc.json()).id;
  await expect
    .poll(async () => (await (await page.request.get(`/api/v1/orgs/${owner.orgId}/documents/${docId}`, { headers: auth })).json()).status, { timeout: 30_000 })
    .toBe("ready");

  await page.goto(`${SITE}/?key=${owner.widgetKey}`);
  const widget = page.locator("#iterochat-widget");
  await widget.locator(".launcher").tap();
  const panel = widget.locator(".panel");
  await expect(panel).toBeVisible();
  const rect = await panel.boundingBox();
  expect(rect?.width).toBe(390);
  const input = widget.getByLabel("Message");
  expect(parseFloat(await input.evaluate((el) => getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(16);
  const send = await widget.getByRole("button", { name: "Send" }).boundingBox();
  expect(send?.height).toBeGreaterThanOrEqual(44);
  await input.fill("When are you open on weekdays?");
  await input.press("Enter");
  await expect(widget.locator(".msg.ai").last()).toContainText("9 to 17");
  // The panel covers the screen exactly (the demo page behind it is the customer's own).
  const after = await panel.boundingBox();
  expect(after?.x).toBe(0);
  expect(after?.width).toBe(390);
  expect(errors).toEqual([]);
});
