import { expect, test } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner } from "./fixtures/pages";

test("an escalation appears in the open inbox live; the agent claims, replies and resolves; the stats follow @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const { email, widgetKey } = await signUpOwner(page, "inbox", "Ada's Lamps");

  await signIn(page, email, javaScriptEnabled);
  await page.getByRole("link", { name: "Inbox" }).click();
  await expect(page.getByRole("heading", { name: "Inbox" })).toBeVisible();
  await expect(page.getByText("Nothing here")).toBeVisible();

  // An owner keeps saved replies for the team.
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Title").fill("Lamp help");
  await page.getByLabel("Text", { exact: true }).fill("Hi! Ada here, let's sort out that lamp.");
  await page.getByRole("button", { name: "Save reply" }).click();
  await expect(page.locator("ul.saved-list")).toContainText("Lamp help");
  if (javaScriptEnabled) {
    await settled(page, javaScriptEnabled);
    await expect(page.locator(".live-state")).toHaveText("live");
  }

  // The visitor, elsewhere, asks for a person through the widget API.
  const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: widgetKey } });
  const token = (await session.json()).visitor_token;
  const turn = await page.request.post("/api/v1/widget/messages", {
    headers: { Authorization: `Bearer ${token}` },
    data: { text: "My lamp flickers, can I talk to a real person?" },
  });
  expect((await turn.json()).status).toBe("escalated");

  if (!javaScriptEnabled) await page.reload();
  const row = page.locator("li.conversation");
  await expect(row).toHaveCount(1);
  await expect(row.locator(".badge")).toHaveText("escalated");
  await expect(page.locator(".stats .unresolved")).toHaveText("1");

  await row.locator("a.open").click();
  // The list stays beside the open conversation.
  await expect(row.locator("a.open")).toHaveAttribute("aria-current", "page");
  await expect(page.locator(".pinned .summary")).toContainText("asked to talk to a person");
  await expect(page.locator(".line.visitor")).toContainText("My lamp flickers");
  await settled(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Claim" }).click();
  await expect(page.getByTestId("status")).toHaveText("claimed");
  await expect(page.locator("p.claimed")).toContainText("you");

  await settled(page, javaScriptEnabled);
  await page.getByLabel("Add a tag").fill("Lamps");
  await page.getByRole("button", { name: "Tag", exact: true }).click();
  await expect(page.locator("ul.tag-list .tag")).toHaveText("lamps");

  await settled(page, javaScriptEnabled);
  if (javaScriptEnabled) {
    // One click puts the saved reply in the box.
    await page.locator("details.saved-replies summary").click();
    await page.getByRole("button", { name: "Lamp help" }).click();
    await expect(page.getByLabel("Reply to the visitor")).toHaveValue("Hi! Ada here, let's sort out that lamp.");
  } else {
    await page.getByLabel("Reply to the visitor").fill("Hi! Ada here, let's sort out that lamp.");
  }
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.locator(".line.agent")).toContainText("Ada here");
  const seen = await page.request.get("/api/v1/widget/messages", { headers: { Authorization: `Bearer ${token}` } });
  const messages = (await seen.json()).messages.map((m: { role: string; text: string }) => `${m.role}: ${m.text}`);
  expect(messages).toContain("agent: Hi! Ada here, let's sort out that lamp.");

  await settled(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Mark resolved" }).click();
  await expect(page.getByTestId("status")).toHaveText("resolved");
  await page.getByRole("link", { name: "← Inbox" }).click();
  await expect(page.locator(".stats .total-escalations")).toHaveText("1");
  await expect(page.locator(".stats .unresolved")).toHaveText("0");
  await expect(page.locator("li.conversation")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("a colleague's claim shows live, takes the Claim button away, and a reply into their conversation asks first @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "held", "Ada's Lamps");
  const auth = { Authorization: `Bearer ${owner.token}` };
  // The agent is in this browser; the owner works through the API elsewhere.
  const agentEmail = `agent-${Date.now()}@example.com`;
  const invite = await (await page.request.post(`/api/v1/orgs/${owner.orgId}/invites`, { headers: auth, data: { email: agentEmail, role: "agent" } })).json();
  const agent = await (await page.request.post("/api/v1/auth/signup", { data: { email: agentEmail, password: "correct horse battery", name: "Andy", organization_name: "Andy's own" } })).json();
  await page.request.post(`/api/v1/invites/${invite.token}/accept`, { headers: { Authorization: `Bearer ${agent.token}` } });
  const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: owner.widgetKey } });
  const visitor = { Authorization: `Bearer ${(await session.json()).visitor_token}` };
  const turn = await (await page.request.post("/api/v1/widget/messages", { headers: visitor, data: { text: "I need a real person about my order" } })).json();
  const conversation = turn.conversation_id;

  await signIn(page, agentEmail, javaScriptEnabled);
  // The agent's first organisation is their own: switch to Ada's Lamps.
  await settled(page, javaScriptEnabled);
  await page.locator(".org-switcher summary").click();
  await page.getByRole("button", { name: /Ada's Lamps/ }).click();
  await expect(page.getByRole("heading", { name: "Ada's Lamps" })).toBeVisible();
  await page.goto(`/dashboard/conversations/${conversation}`);
  await expect(page.locator(".line.visitor")).toContainText("I need a real person about my order");
  await settled(page, javaScriptEnabled);
  await expect(page.getByRole("button", { name: "Claim" })).toBeVisible();

  const claimed = await page.request.post(`/api/v1/orgs/${owner.orgId}/conversations/${conversation}/claim`, { headers: auth });
  expect(claimed.status()).toBe(200);
  if (!javaScriptEnabled) await page.reload();
  await expect(page.locator(".pinned p.claimed")).toContainText("Claimed by Ada");
  await expect(page.getByRole("button", { name: "Claim" })).toHaveCount(0);

  await settled(page, javaScriptEnabled);
  const anyway = page.getByLabel(/Reply anyway: Ada holds this conversation/);
  await expect(anyway).toBeVisible();
  await page.getByLabel("Reply to the visitor").fill("Andy here too: your order left the warehouse today.");
  await anyway.check();
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.locator(".line.agent").last()).toContainText("your order left the warehouse today");
  expect(errors).toEqual([]);
});

test("saved replies are edited and inserted by typing /, and the keyboard works the inbox", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const { email, widgetKey } = await signUpOwner(page, "keys", "Ada's Lamps");
  for (const text of ["I want a real person about my order", "Can I speak to a human please?"]) {
    const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: widgetKey } });
    const visitor = { Authorization: `Bearer ${(await session.json()).visitor_token}` };
    const turn = await page.request.post("/api/v1/widget/messages", { headers: visitor, data: { text } });
    expect((await turn.json()).status).toBe("escalated");
  }
  await signIn(page, email, javaScriptEnabled);
  await page.goto("/dashboard/conversations");
  await settled(page, javaScriptEnabled);

  // A saved reply, then a better wording of it.
  await page.getByLabel("Title").fill("Refund policy");
  await page.getByLabel("Text", { exact: true }).fill("Refunds take a while.");
  await page.getByRole("button", { name: "Save reply" }).click();
  const saved = page.locator('ul.saved-list li[data-title="Refund policy"]');
  await expect(saved).toBeVisible();
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Edit saved reply Refund policy").click();
  await saved.locator('input[name="title"]').fill("Refund timing");
  await saved.locator('textarea[name="body"]').fill("Refunds reach your card within 5 working days.");
  await saved.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator('ul.saved-list li[data-title="Refund timing"]')).toContainText("within 5 working days");
  await expect(page.locator('ul.saved-list li[data-title="Refund policy"]')).toHaveCount(0);

  // j / k move through the rows, Enter opens one.
  const rows = page.locator("li.conversation a.open");
  await expect(rows).toHaveCount(2);
  await page.locator("h1").first().click();
  await page.keyboard.press("j");
  await expect(rows.nth(0)).toBeFocused();
  await page.keyboard.press("j");
  await expect(rows.nth(1)).toBeFocused();
  await page.keyboard.press("k");
  await expect(rows.nth(0)).toBeFocused();
  const first = await page.locator("li.conversation").nth(0).getAttribute("data-id");
  const second = await page.locator("li.conversation").nth(1).getAttribute("data-id");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/dashboard/conversations/${first}\\?`));
  await settled(page, javaScriptEnabled);

  // ? lists the shortcuts; Escape closes the list.
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(help).toContainText("Claim the conversation");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();

  // c claims; r goes to the reply box, where / and a few letters find the saved reply.
  await page.keyboard.press("c");
  await expect(page.getByTestId("status")).toHaveText("claimed");
  await page.keyboard.press("r");
  const box = page.getByLabel("Reply to the visitor");
  await expect(box).toBeFocused();
  await page.keyboard.type("/refund");
  await expect(page.locator("ul.picker")).toContainText("Refund timing");
  await page.keyboard.press("Enter");
  await expect(box).toHaveValue("Refunds reach your card within 5 working days.");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.locator(".line.agent")).toContainText("within 5 working days");

  // Typing in a field never triggers a shortcut; outside it, e resolves and j opens the next.
  await page.locator("h1").first().click();
  await page.keyboard.press("e");
  await expect(page.getByTestId("status")).toHaveText("resolved");
  await page.keyboard.press("j");
  await expect(page).toHaveURL(new RegExp(`/dashboard/conversations/${second}\\?`));
  expect(errors).toEqual([]);
});
