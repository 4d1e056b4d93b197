import { expect, test } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner } from "./fixtures/pages";

/** The widget's configuration as a visitor's session gets it. */
async function widgetConfig(page: import("@playwright/test").Page, widgetKey: string) {
  const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: widgetKey } });
  expect(session.status()).toBe(200);
  return (await session.json()).config;
}

test("an owner configures the widget, the AI and human support from Settings; a wrong value changes nothing @nojs", async ({ page, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const owner = await signUpOwner(page, "settings", "Ada's Lamps");
  const { email, widgetKey } = owner;
  const stored = async () =>
    (await (await page.request.get(`/api/v1/orgs/${owner.orgId}`, { headers: { Authorization: `Bearer ${owner.token}` } })).json()).settings;
  await signIn(page, email, javaScriptEnabled);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings for Ada's Lamps" })).toBeVisible();
  const before = await widgetConfig(page, widgetKey);

  // A value the domain refuses shows beside its form, naming the field; nothing is stored.
  await settled(page, javaScriptEnabled);
  const widget = page.locator("#widget");
  await widget.getByLabel("Nudge trigger").selectOption("scroll");
  await widget.getByLabel("Nudge after (seconds, or percent scrolled)").fill("250");
  await widget.getByLabel("Greeting").fill("Hello from the lamp shop!");
  await widget.getByRole("button", { name: "Save widget settings" }).click();
  await expect(page.getByRole("alert")).toContainText("Nudge after: is a percentage of the page");
  expect(await widgetConfig(page, widgetKey)).toEqual(before);

  // Saved values reach the widget's next session.
  await page.goto("/dashboard/settings");
  await settled(page, javaScriptEnabled);
  await widget.getByLabel("Colour").fill("#0f766e");
  // The live preview is the real widget, opened, with the unsaved colour (a page without
  // JavaScript has no widget to preview).
  const preview = page.frameLocator("iframe.widget-preview");
  if (javaScriptEnabled !== false) {
    await expect(preview.locator(".panel")).toBeVisible();
    await expect(preview.locator(".root")).toHaveAttribute("style", /#0f766e/);
  }
  await widget.getByLabel("Position").selectOption("bottom-left");
  if (javaScriptEnabled !== false) {
    // The preview reloads with the new position while the owner types on: the opened widget in
    // it does not take the focus away from the form.
    await widget.getByLabel("Greeting").focus();
    await expect(preview.locator(".root")).toHaveClass(/\bleft\b/);
    await expect(preview.locator(".panel")).toBeVisible();
    await expect(widget.getByLabel("Greeting")).toBeFocused();
  }
  await widget.getByLabel("Greeting").fill("Hello from the lamp shop!");
  await widget.getByLabel("Nudge message").fill("Need a lamp for camping?");
  await widget.getByLabel(/Allowed sites/).fill("https://shop.example\nlamps.example");
  await widget.getByRole("button", { name: "Save widget settings" }).click();
  await expect(widget.getByLabel("Greeting")).toHaveValue("Hello from the lamp shop!");
  if (javaScriptEnabled !== false) {
    await expect(preview.locator(".root")).toHaveAttribute("style", /#0f766e/);
    await expect(preview.getByText("Hello from the lamp shop!")).toBeVisible();
  }
  // The save is done when the stored settings say so (a hydrated form posts in the background).
  await expect.poll(async () => (await widgetConfig(page, widgetKey)).proactive_message).toBe("Need a lamp for camping?");
  const config = await widgetConfig(page, widgetKey);
  expect(config.primary_color).toBe("#0f766e");
  expect(config.position).toBe("bottom-left");
  expect(config.greeting).toBe("Hello from the lamp shop!");
  expect(config.proactive_message).toBe("Need a lamp for camping?");
  // The live widget (the server's own preview page, as a visitor sees it: no unsaved values)
  // shows the saved colour and greeting.
  if (javaScriptEnabled !== false) {
    const live = await page.context().newPage();
    await live.goto(`/preview?key=${widgetKey}`);
    await live.getByRole("button", { name: "Open chat" }).click();
    await expect(live.locator(".root")).toHaveAttribute("style", /#0f766e/);
    await expect(live.getByText("Hello from the lamp shop!")).toBeVisible();
    await live.close();
  }
  await page.goto("/dashboard/settings");
  await expect(widget.getByLabel(/Allowed sites/)).toHaveValue("https://shop.example\nhttps://lamps.example");
  const elsewhere = await page.request.post("/api/v1/widget/session", {
    headers: { Origin: "https://copycat.example" },
    data: { widget_key: widgetKey },
  });
  expect(elsewhere.status()).toBe(403);
  const onTheShop = await page.request.post("/api/v1/widget/session", {
    headers: { Origin: "https://lamps.example" },
    data: { widget_key: widgetKey },
  });
  expect(onTheShop.status()).toBe(200);

  await settled(page, javaScriptEnabled);
  const support = page.locator("#human-support");
  await support.getByLabel("Talk-to-a-person button label").fill("Ask a lamp expert");
  await support.getByLabel("Show two buttons after each AI answer").uncheck();
  const askContact = support.getByLabel(/Ask visitors we have no email for/);
  await expect(askContact).toBeChecked();
  await askContact.uncheck();
  await support.getByRole("button", { name: "Save human support settings" }).click();
  await expect(support.getByLabel("Talk-to-a-person button label")).toHaveValue("Ask a lamp expert");
  await expect(support.getByLabel("Show two buttons after each AI answer")).not.toBeChecked();
  await expect.poll(async () => (await widgetConfig(page, widgetKey)).request_help_label).toBe("Ask a lamp expert");
  const after = await widgetConfig(page, widgetKey);
  expect(after.ask_contact_at_handoff).toBe(false);
  expect(after.request_help_label).toBe("Ask a lamp expert");
  expect(after.show_escalation_cta).toBe(false);

  // AI-only mode: a request for a person stays with the AI, which offers the contact route.
  await settled(page, javaScriptEnabled);
  const ai = page.locator("#ai");
  const aiOnly = ai.getByRole("checkbox", { name: /AI-only mode/ });
  await aiOnly.check();
  await ai.getByLabel(/Contact route/).fill("help@adaslamps.example");
  await ai.getByLabel("the visitor wants money back").uncheck();
  await ai.getByLabel("When the AI answers").selectOption("escalate_more");
  await ai.getByRole("button", { name: "Save AI settings" }).click();
  await expect(aiOnly).toBeChecked();
  // Saved when the stored settings say so (a hydrated form posts in the background).
  await expect.poll(async () => (await stored()).escalation_reasons).not.toContain("refund");
  await page.goto("/dashboard/settings");
  await expect(ai.getByLabel("the visitor wants money back")).not.toBeChecked();
  await expect(ai.getByLabel("the visitor complains")).toBeChecked();
  await expect(ai.getByLabel("When the AI answers")).toHaveValue("escalate_more");
  const session = await page.request.post("/api/v1/widget/session", { data: { widget_key: widgetKey } });
  const token = (await session.json()).visitor_token;
  const turn = await page.request.post("/api/v1/widget/messages", {
    headers: { Authorization: `Bearer ${token}` },
    data: { text: "Can I talk to a real person please?" },
  });
  const body = await turn.json();
  expect(body.status).toBe("ai");
  expect(body.reply.text).toContain("help@adaslamps.example");
  // A new widget key needs its confirming tick; the old key then stops at once.
  await page.goto("/dashboard/settings");
  await settled(page, javaScriptEnabled);
  const keyCard = page.locator("#widget-key");
  await expect(keyCard.locator(".widget-key")).toHaveText(widgetKey);
  await keyCard.getByLabel("I understand that the old snippet stops working").check();
  await keyCard.getByRole("button", { name: "Rotate widget key" }).click();
  await expect(keyCard.locator(".widget-key")).not.toHaveText(widgetKey);
  const newKey = await keyCard.locator(".widget-key").textContent();
  expect(newKey).toMatch(/^wk_/);
  const old = await page.request.post("/api/v1/widget/session", { data: { widget_key: widgetKey } });
  expect(old.status()).toBe(404);

  // Who is told about a hand-off lives with human support now; a bad address changes nothing.
  await settled(page, javaScriptEnabled);
  await support.getByLabel("Extra recipients").fill("team@adaslamps.example\nnot an address");
  await support.getByRole("button", { name: "Save recipients" }).click();
  await expect(support.getByRole("alert")).toContainText("Extra recipients:");
  await page.goto("/dashboard/settings");
  await expect(support.getByLabel("Extra recipients")).toHaveValue("");
  await settled(page, javaScriptEnabled);
  await support.getByLabel("Extra recipients").fill("Team@AdasLamps.example\nteam@adaslamps.example");
  await support.getByRole("button", { name: "Save recipients" }).click();
  await expect(support.getByLabel("Extra recipients")).toHaveValue("team@adaslamps.example");
  // Not a member's address: it gets a confirmation link first, and the page says it waits.
  await expect(support.locator(".pending-recipients")).toContainText("team@adaslamps.example");
  await page.goto("/dashboard/alerts");
  await expect(page.getByLabel("Extra recipients")).toHaveCount(0);
  expect(errors).toEqual([]);
});
