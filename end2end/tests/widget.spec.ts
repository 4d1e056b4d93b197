import { gzipSync } from "node:zlib";

import { expect, test, type Page } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner } from "./fixtures/pages";

/** The demo customer site the server runs on another port: another origin, as a customer's. */
const SITE = process.env.DEMO_URL ?? "http://127.0.0.1:3138";

async function organisation(page: Page, prefix: string) {
  const owner = await signUpOwner(page, prefix, "Lamp Shop");
  return { token: owner.token, orgId: owner.orgId, key: owner.widgetKey };
}

/** Adds a document to the organisation and waits until it is searchable. */
async function addDocument(page: Page, org: { token: string; orgId: string }, data: { title: string; content: string; source_url?: string }) {
  const auth = { Authorization: `Bearer ${org.token}` };
  const doc = await page.request.post(`/api/v1/orgs/${org.orgId}/documents`, { headers: auth, data });
  const docId = (await doc.json()).id;
  await expect
    .poll(async () => (await (await page.request.get(`/api/v1/orgs/${org.orgId}/documents/${docId}`, { headers: auth })).json()).status, { timeout: 30_000 })
    .toBe("ready");
}

test("a visitor on a customer's site chats, escalates, gets the agent's reply live and keeps the history", async ({ page }) => {
  const errors = pageErrors(page);
  const org = await organisation(page, "widget");
  const auth = { Authorization: `Bearer ${org.token}` };
  const settings = await page.request.patch(`/api/v1/orgs/${org.orgId}/settings`, {
    headers: auth,
    data: { require_contact: true, primary_color: "#aa3377", company_name: "Lamp Shop" },
  });
  expect(settings.status()).toBe(200);
  await addDocument(page, org, {
    title: "Opening hours",
    content: "# Opening hours\n\nOur shop is open from 9 to 17 on weekdays. On Saturdays we open from 10 to 14.",
    source_url: "https://lamps.example/hours",
  });

  await page.goto(`${SITE}/?key=${org.key}`);
  const widget = page.locator("#iterochat-widget");
  const launcher = widget.locator(".launcher");
  await expect(launcher).toBeVisible();
  await expect(launcher).toHaveCSS("background-color", "rgb(170, 51, 119)");
  await launcher.click();
  await expect(widget.locator(".title")).toHaveText("Lamp Shop");

  // The pre-chat form refuses a bad email in the widget, then accepts a good one.
  await widget.getByLabel("Name").fill("Ana");
  await widget.getByLabel("Email").fill("ana-at-example");
  await widget.getByRole("button", { name: "Start chat" }).click();
  await expect(widget.locator(".contact .error")).toHaveText("Please enter a valid email address.");
  await widget.getByLabel("Email").fill("ana@example.com");
  await widget.getByRole("button", { name: "Start chat" }).click();
  await expect(widget.getByLabel("Message")).toBeVisible();

  await widget.getByLabel("Message").fill("When are you open on weekdays?");
  await widget.getByLabel("Message").press("Enter");
  const answer = widget.locator(".msg.ai").last();
  await expect(answer).toContainText("9 to 17");
  await expect(answer.locator(".sources")).toHaveText("Sources: Opening hours");
  await expect(answer.locator(".sources a")).toHaveAttribute("href", "https://lamps.example/hours");

  await widget.getByRole("button", { name: /Connect to an agent/ }).click();
  await expect(widget.locator(".msg.system").last()).toContainText("asked the team to join");
  // Waiting for a person, the visitor is told so (no office hours set: no time to give).
  await expect(widget.locator(".waiting")).toHaveText("You're in the queue: the team will reply here.");

  // An agent answers through the API; the reply arrives without a reload.
  const list = await (await page.request.get(`/api/v1/orgs/${org.orgId}/conversations?status=escalated`, { headers: auth })).json();
  expect(list).toHaveLength(1);
  expect(list[0].contact).toEqual({ name: "Ana", email: "ana@example.com", phone: null });
  const reply = await page.request.post(`/api/v1/orgs/${org.orgId}/conversations/${list[0].id}/messages`, {
    headers: auth,
    data: { text: "Hi Ana, this is Ada from the shop." },
  });
  expect(reply.status()).toBe(201);
  // Taking the conversation over says who joined; the reply carries the agent's name.
  await expect(widget.locator(".msg.system").last()).toHaveText("Ada joined the conversation");
  await expect(widget.locator(".waiting")).toBeHidden();
  await expect(widget.locator(".msg.agent p")).toHaveText("Hi Ana, this is Ada from the shop.");
  await expect(widget.locator(".msg.agent .who")).toContainText("Ada");
  await expect(widget.locator(".msg.agent .who .avatar")).toHaveText("A");

  // Escape closes and gives focus back to the launcher; an agent message while closed shows a badge.
  await page.keyboard.press("Escape");
  await expect(widget.locator(".panel")).toBeHidden();
  await page.request.post(`/api/v1/orgs/${org.orgId}/conversations/${list[0].id}/messages`, { headers: auth, data: { text: "Still there?" } });
  await expect(widget.locator(".badge")).toHaveText("1");

  await page.reload();
  await widget.locator(".launcher").click();
  await expect(widget.locator(".msg.visitor")).toContainText("When are you open on weekdays?");
  await expect(widget.locator(".msg.agent p").last()).toHaveText("Still there?");
  await expect(widget.locator(".msg.system").filter({ hasText: "joined" })).toHaveText(["Ada joined the conversation"]);

  // Resolved by the team, the widget says so and a new message starts a new conversation.
  const resolved = await page.request.post(`/api/v1/orgs/${org.orgId}/conversations/${list[0].id}/resolve`, { headers: auth });
  expect(resolved.status()).toBe(200);
  await expect(widget.locator(".msg.system").last()).toContainText("This conversation was resolved");
  expect(errors).toEqual([]);
});

test.describe("office hours", () => {
  test.use({ timezoneId: "UTC", locale: "en-GB" });

  test("set in Settings, they tell a visitor who waits outside them when the team is back", async ({ page }) => {
    const errors = pageErrors(page);
    const owner = await signUpOwner(page, "hours", "Lamp Shop");
    await signIn(page, owner.email, true);
    await page.goto("/dashboard/settings");
    await settled(page, true);
    // Open only tomorrow (UTC), so now is always outside the hours.
    const names = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    const tomorrow = names[(new Date().getUTCDay() + 1) % 7];
    const form = page.locator("form.office-hours");
    await form.getByLabel("Time zone").fill("Mars/Olympus");
    await form.getByLabel(tomorrow).fill("9:00-10:00");
    await form.getByRole("button", { name: "Save office hours" }).click();
    await expect(form.locator(".form-error")).toContainText('Office hours: "Mars/Olympus" is not a time zone');
    await form.getByLabel("Time zone").fill("UTC");
    await form.getByRole("button", { name: "Save office hours" }).click();
    // The page shows what was stored, normalised.
    await expect(form.getByLabel(tomorrow)).toHaveValue("09:00-10:00");
    await expect(form.locator(".form-error")).toHaveCount(0);

    await page.goto(`${SITE}/?key=${owner.widgetKey}`);
    const widget = page.locator("#iterochat-widget");
    await widget.locator(".launcher").click();
    await widget.getByLabel("Message").fill("Can I talk to a real person please?");
    await widget.getByLabel("Message").press("Enter");
    await expect(widget.locator(".waiting")).toHaveText(`The team is away right now and back ${tomorrow} 09:00. Their reply will appear here.`);
    expect(errors).toEqual([]);
  });
});

test("hostile host CSS does not change the widget", async ({ page }) => {
  const org = await organisation(page, "hostile");
  await page.goto(`${SITE}/hostile?key=${org.key}`);
  await expect(page.locator("h1")).toHaveCSS("font-size", "40px");
  const launcher = page.locator("#iterochat-widget .launcher");
  await expect(launcher).toBeVisible();
  const box = await launcher.boundingBox();
  expect(box?.width).toBe(56);
  expect(box?.height).toBe(56);
  await launcher.click();
  // The widget arrives on the click (loaded on interest): wait for its panel before measuring.
  await expect(page.locator("#iterochat-widget .panel")).toBeVisible();
  const panel = await page.locator("#iterochat-widget .panel").boundingBox();
  expect(panel?.width).toBe(360);
  // The widget's own 16 px (no zoom on focus in iOS Safari), whatever the host page says.
  await expect(page.locator("#iterochat-widget .composer input")).toHaveCSS("font-size", "16px");
});

/** Bytes on the wire (compressed bodies and headers) of every response from the Iterochat server, as Chromium received them. */
function wireBytes(page: Page, server: string) {
  const seen: { url: string; bytes: number }[] = [];
  page.on("requestfinished", async (request) => {
    if (!request.url().startsWith(server)) return;
    const sizes = await request.sizes();
    seen.push({ url: request.url(), bytes: sizes.responseBodySize + sizes.responseHeadersSize });
  });
  return seen;
}

test("a page where nobody opens the chat downloads only the loader and its settings; the widget comes on interest", async ({ page, baseURL }) => {
  const org = await organisation(page, "lazy");
  const patched = await page.request.patch(`/api/v1/orgs/${org.orgId}/settings`, {
    headers: { Authorization: `Bearer ${org.token}` },
    data: { primary_color: "#e11d48", position: "bottom-left" },
  });
  expect(patched.status()).toBe(200);
  const seen = wireBytes(page, baseURL!);
  await page.goto(`${SITE}/?key=${org.key}`);
  const launcher = page.locator("#iterochat-widget .launcher");
  await expect(launcher).toBeVisible();
  await page.waitForLoadState("networkidle");
  const before = seen.reduce((sum, r) => sum + r.bytes, 0);
  console.log(`widget on a page where nobody opens it: ${before} bytes over the wire (${seen.map((r) => new URL(r.url).pathname).join(", ")})`);
  expect(seen.some((r) => r.url.endsWith(".wasm"))).toBe(false);
  expect(before).toBeLessThanOrEqual(4 * 1024);
  // The launcher already wears the organisation's colour, in its place.
  await expect(launcher).toHaveCSS("background-color", "rgb(225, 29, 72)");
  expect((await launcher.boundingBox())!.x).toBeLessThan(100);

  // Pointing at it fetches the widget; the click opens it, with the focus in the composer.
  await launcher.hover();
  await expect.poll(() => seen.some((r) => r.url.endsWith(".wasm"))).toBe(true);
  await launcher.click();
  await expect(page.locator("#iterochat-widget .panel")).toBeVisible();
  await expect(page.locator("#iterochat-widget .composer input")).toBeFocused();
  await page.waitForLoadState("networkidle");
  const opened = seen.reduce((sum, r) => sum + r.bytes, 0);
  console.log(`widget opened: ${opened} bytes over the wire in all`);
  // Opened, the whole widget: 52 KB since the typing indicator (the first load above is what
  // every page pays; see the README).
  expect(opened).toBeLessThanOrEqual(54 * 1024);

  // A returning visitor gets the whole widget at once (their conversation may be waiting).
  await page.reload();
  await expect.poll(() => seen.filter((r) => r.url.endsWith(".wasm")).length).toBeGreaterThanOrEqual(1);
  await expect(page.locator("#iterochat-widget .launcher")).toBeVisible();
});

test("the widget's files are compressed, cached and open to any site", async ({ request }) => {
  const loader = await request.get("/widget.js");
  expect(loader.status()).toBe(200);
  expect(loader.headers()["cache-control"]).toContain("max-age=300");
  const text = await loader.text();
  const files = [...text.matchAll(/\/widget\/(iterochat_widget-[0-9a-f]+\.(?:js|wasm))/g)].map((m) => m[1]);
  expect(files).toHaveLength(2);
  // The loader alone is what every page pays; the widget's files come on interest.
  const loaderBytes = gzipSync(Buffer.from(text), { level: 9 }).length;
  expect(loaderBytes).toBeLessThanOrEqual(2 * 1024);
  let total = 0;
  for (const file of files) {
    const response = await request.get(`/widget/${file}`);
    expect(response.status()).toBe(200);
    expect(response.headers()["cache-control"]).toContain("immutable");
    expect(response.headers()["access-control-allow-origin"]).toBe("*");
    total += gzipSync(await response.body(), { level: 9 }).length;
  }
  console.log(`widget files: loader ${loaderBytes} bytes, glue + wasm ${total} bytes gzipped (CSS is inside the wasm)`);
  expect(total).toBeLessThanOrEqual(54 * 1024);
  // The settings the loader asks for: small, cached for 5 minutes, never for an unknown key.
  const unknown = await request.get("/api/v1/widget/config?key=wk_unknown");
  expect(unknown.status()).toBe(404);
});

test("a message written offline waits, is sent once when the browser is back online; the live stream comes back", async ({ page, context, request }) => {
  const org = await organisation(page, "offline");
  // The stream opens with a single-use ticket, never with the visitor's token in its URL.
  const streams: string[] = [];
  page.on("request", (r) => { if (r.url().includes("/api/v1/widget/stream")) streams.push(r.url()); });
  await page.goto(`${SITE}/?key=${org.key}`);
  const widget = page.locator("#iterochat-widget");
  await widget.locator(".launcher").click();
  await expect(widget.getByLabel("Message")).toBeVisible();

  await context.setOffline(true);
  await widget.getByLabel("Message").fill("Hello while offline, I need a person");
  await widget.getByLabel("Message").press("Enter");
  await expect(widget.locator(".msg.visitor.pending")).toHaveText("Hello while offline, I need a person");
  await expect(widget.locator(".composer-error")).toContainText("offline");

  await context.setOffline(false);
  await expect(widget.locator(".msg.visitor.pending")).toHaveCount(0);
  await expect(widget.locator(".msg.system").last()).toContainText("asked the team to join");
  const auth = { Authorization: `Bearer ${org.token}` };
  const list = await (await page.request.get(`/api/v1/orgs/${org.orgId}/conversations?status=all`, { headers: auth })).json();
  const detail = await (await page.request.get(`/api/v1/orgs/${org.orgId}/conversations/${list[0].id}`, { headers: auth })).json();
  const visitor = detail.messages.filter((m: { role: string }) => m.role === "visitor");
  expect(visitor.map((m: { text: string }) => m.text)).toEqual(["Hello while offline, I need a person"]);

  // Offline again, an agent replies: back online, the widget shows what it missed and then what
  // comes live. (Whether Chromium drops the open stream while offline varies; when it does, the
  // widget reconnects with a new ticket.)
  await context.setOffline(true);
  const said = (text: string) =>
    request.post(`/api/v1/orgs/${org.orgId}/conversations/${list[0].id}/messages`, { headers: auth, data: { text } });
  expect((await said("Sorry, we missed you there.")).status()).toBe(201);
  await context.setOffline(false);
  await expect(widget.locator(".msg.agent p").last()).toHaveText("Sorry, we missed you there.", { timeout: 15_000 });
  expect((await said("Are you still there?")).status()).toBe(201);
  await expect(widget.locator(".msg.agent p").last()).toHaveText("Are you still there?");
  const opened = streams.filter((u) => u.includes("/stream?"));
  expect(opened.length).toBeGreaterThanOrEqual(1);
  expect(opened.every((u) => /[?]ticket=[\w-]+$/.test(u) && !u.includes("token="))).toBe(true);
  expect(new Set(opened).size).toBe(opened.length);
});

test("an anonymous visitor is asked how to reach them when the chat goes to the team; a skip is remembered", async ({ page, browser }) => {
  const errors = pageErrors(page);
  const org = await organisation(page, "handoff-contact");
  const auth = { Authorization: `Bearer ${org.token}` };
  await page.goto(`${SITE}/?key=${org.key}`);
  const widget = page.locator("#iterochat-widget");
  await widget.locator(".launcher").click();
  const contact = widget.locator(".contact");
  await expect(contact).toBeHidden();
  await widget.getByLabel("Message").fill("Ich möchte bitte mit einem Menschen sprechen");
  await widget.getByLabel("Message").press("Enter");
  // In the visitor's language, with the message box still there.
  await expect(contact).toBeVisible();
  await expect(contact.locator(".intro")).toContainText("Wie erreichen wir Sie?");
  await expect(widget.getByLabel("Message")).toBeVisible();
  await widget.getByLabel("Name").fill("Jonas");
  await widget.getByLabel("Email").fill("jonas@example.com");
  await contact.getByRole("button", { name: "Senden" }).click();
  await expect(contact).toBeHidden();
  await expect(widget.locator(".msg.thanks")).toContainText("per E-Mail");
  const list = await (await page.request.get(`/api/v1/orgs/${org.orgId}/conversations?status=escalated`, { headers: auth })).json();
  expect(list[0].contact).toEqual({ name: "Jonas", email: "jonas@example.com", phone: null });

  // Another visitor (in Berlin's time zone) skips it, and is not asked again after a reload.
  const other = await browser.newPage({ timezoneId: "Europe/Berlin" });
  await other.goto(`${SITE}/?key=${org.key}`);
  const otherWidget = other.locator("#iterochat-widget");
  await otherWidget.locator(".launcher").click();
  await otherWidget.getByLabel("Message").fill("I want to talk to a human");
  await otherWidget.getByLabel("Message").press("Enter");
  await expect(otherWidget.locator(".contact")).toBeVisible();
  await otherWidget.getByRole("button", { name: "Not now" }).click();
  await expect(otherWidget.locator(".contact")).toBeHidden();
  await expect(otherWidget.getByLabel("Message")).toBeFocused();
  await other.reload();
  await otherWidget.locator(".launcher").click();
  await expect(otherWidget.locator(".msg.system").last()).toContainText("asked the team to join");
  await expect(otherWidget.locator(".contact")).toBeHidden();
  await other.close();
  // Without a name, the team reads where and on what the visitor writes from.
  const queue = await (await page.request.get(`/api/v1/orgs/${org.orgId}/conversations?status=escalated`, { headers: auth })).json();
  expect(queue.map((c: { visitor_label: string }) => c.visitor_label).sort()).toEqual(["Jonas", "Visitor from Berlin · Chrome on Linux"]);

  // A visitor who wrote their email into a message is not asked for it again.
  const third = await browser.newPage();
  await third.goto(`${SITE}/?key=${org.key}`);
  const thirdWidget = third.locator("#iterochat-widget");
  await thirdWidget.locator(".launcher").click();
  await thirdWidget.getByLabel("Message").fill("Please have a real person email me at mia@example.com");
  await thirdWidget.getByLabel("Message").press("Enter");
  await expect(thirdWidget.locator(".msg.system").last()).toBeVisible();
  await expect(thirdWidget.locator(".contact")).toBeHidden();
  await third.close();
  expect(errors).toEqual([]);
});

test("the proactive nudge shows after the configured delay, opens the chat, and not again that day", async ({ page }) => {
  const org = await organisation(page, "nudge");
  const settings = await page.request.patch(`/api/v1/orgs/${org.orgId}/settings`, {
    headers: { Authorization: `Bearer ${org.token}` },
    data: { proactive_message: "Need help choosing a lamp?", proactive_trigger: "delay", proactive_after: 1 },
  });
  expect(settings.status()).toBe(200);
  const refused = await page.request.patch(`/api/v1/orgs/${org.orgId}/settings`, {
    headers: { Authorization: `Bearer ${org.token}` },
    data: { proactive_trigger: "scroll", proactive_after: 150 },
  });
  expect(refused.status()).toBe(422);

  await page.goto(`${SITE}/?key=${org.key}`);
  const widget = page.locator("#iterochat-widget");
  const nudge = widget.locator(".nudge");
  await expect(nudge).toBeVisible({ timeout: 5_000 });
  await expect(nudge).toContainText("Need help choosing a lamp?");
  await nudge.locator(".nudge-open").click();
  await expect(widget.locator(".panel")).toBeVisible();
  await expect(nudge).toBeHidden();

  await page.reload();
  await expect(widget.locator(".launcher")).toBeVisible();
  await page.waitForTimeout(1_500);
  await expect(nudge).toBeHidden();
});

test("an answer thanked with 👍 is acknowledged, right-to-left text reads right to left, and AI-only mode offers no person", async ({ page }) => {
  const errors = pageErrors(page);
  const org = await organisation(page, "widget-ai-only");
  const auth = { Authorization: `Bearer ${org.token}` };
  await addDocument(page, org, { title: "Opening hours", content: "# Opening hours\n\nOur shop is open from 9 to 17 on weekdays." });

  await page.goto(`${SITE}/?key=${org.key}`);
  const widget = page.locator("#iterochat-widget");
  await widget.locator(".launcher").click();
  await widget.getByLabel("Message").fill("When are you open on weekdays?");
  await widget.getByLabel("Message").press("Enter");
  await expect(widget.locator(".msg.ai").last()).toContainText("9 to 17");
  await widget.locator(".cta button.helpful").click();
  await expect(widget.locator(".msg.thanks")).toHaveText("Glad it helped!");
  await expect(widget.locator(".cta")).toHaveCount(0);

  // A message over the limit is not cut: a counter says by how much, and nothing is sent.
  const long = "a".repeat(4120);
  await widget.getByLabel("Message").fill(long);
  await expect(widget.locator(".counter")).toHaveText("4,120 / 4,000 characters: please shorten your message");
  await widget.getByLabel("Message").press("Enter");
  await expect(widget.getByLabel("Message")).toHaveValue(long);
  await expect(widget.locator(".msg.visitor")).toHaveCount(1);
  await widget.getByLabel("Message").fill("");
  await expect(widget.locator(".counter")).toBeHidden();

  // Every bubble lets the browser pick the direction from its text.
  await widget.getByLabel("Message").fill("مرحبا، هل يمكنني الدفع نقدا؟");
  await widget.getByLabel("Message").press("Enter");
  const arabic = widget.locator(".msg.visitor p").last();
  await expect(arabic).toHaveAttribute("dir", "auto");
  expect(await arabic.evaluate((p) => getComputedStyle(p).direction)).toBe("rtl");

  // AI-only: the answer carries no "talk to a person" button at all.
  const settings = await page.request.patch(`/api/v1/orgs/${org.orgId}/settings`, { headers: auth, data: { ai_only_mode: true } });
  expect(settings.status()).toBe(200);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await widget.locator(".launcher").click();
  await widget.getByLabel("Message").fill("When are you open on weekdays?");
  await widget.getByLabel("Message").press("Enter");
  await expect(widget.locator(".msg.ai").last()).toContainText("9 to 17");
  await expect(widget.locator(".cta button.agent")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("after a hand-off the visitor sees the agent typing, and the agent sees the visitor typing", async ({ page, context }) => {
  const owner = await signUpOwner(page, "typing", "Lamp Shop");
  const visitor = await context.newPage();
  const errors = pageErrors(visitor);
  await visitor.goto(`${SITE}/?key=${owner.widgetKey}`);
  const widget = visitor.locator("#iterochat-widget");
  await widget.locator(".launcher").click();
  const input = widget.locator(".composer input");
  await input.fill("Can I talk to a real person please?");
  await input.press("Enter");
  await expect(widget.locator(".msg.system").last()).toBeVisible();
  const list = await (await page.request.get(`/api/v1/orgs/${owner.orgId}/conversations?status=all`, { headers: { Authorization: `Bearer ${owner.token}` } })).json();
  const conversation = (list.items ?? list)[0].id;

  await signIn(page, owner.email, true);
  await page.goto(`/dashboard/conversations/${conversation}`);
  await settled(page, true);
  await expect(page.locator(".live-state")).toHaveText("live");

  // The agent types: the visitor reads who, for a few seconds.
  await page.getByLabel("Reply to the visitor").pressSequentially("Hello there");
  await expect(widget.locator(".typing")).toHaveText("Ada is typing…");
  await expect(widget.locator(".typing")).toBeHidden({ timeout: 8_000 });

  // The visitor types: the agent sees it; their own typing never shows on their page.
  await input.pressSequentially("my lamp");
  await expect(page.locator("p.typing")).toHaveText("The visitor is typing…");
  await expect(page.locator("p.typing")).toBeHidden({ timeout: 8_000 });
  expect(errors).toEqual([]);
});
