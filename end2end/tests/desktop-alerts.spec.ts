import { expect, test } from "@playwright/test";

import { pageErrors, settled, signIn, signUpOwner, visitorSays } from "./fixtures/pages";

// The browser's Notification API, recorded: headless Chromium shows no desktop notifications,
// so the page's calls are what is checked. Permission starts unanswered ("default").
const FAKE_NOTIFICATIONS = `
  window.__notifications = [];
  class FakeNotification {
    constructor(title, options) { window.__notifications.push({ title, body: options && options.body }); }
    static permission = "default";
    static requestPermission() { FakeNotification.permission = "granted"; return Promise.resolve("granted"); }
  }
  window.Notification = FakeNotification;
  window.__hidden = false;
  Object.defineProperty(document, "hidden", { configurable: true, get: () => window.__hidden });
`;

test("an agent turns on desktop alerts; an escalation notifies and counts in the title while the tab is hidden", async ({ page }) => {
  const errors = pageErrors(page);
  await page.addInitScript(FAKE_NOTIFICATIONS);
  const { email, widgetKey } = await signUpOwner(page, "desktop-alerts", "Ada's Lamps");
  await signIn(page, email, true);
  await page.getByRole("link", { name: "Inbox" }).click();
  await settled(page, true);
  await expect(page.locator(".live-state")).toHaveText("live");

  const turnOn = page.getByRole("button", { name: "Turn on desktop alerts" });
  await turnOn.click();
  await expect(turnOn).toHaveCount(0);
  const title = await page.title();

  // The agent is in another tab when a visitor asks for a person.
  await page.evaluate(() => {
    (window as unknown as { __hidden: boolean }).__hidden = true;
  });
  expect((await visitorSays(page, widgetKey, "Can I talk to a real person, please?")).status).toBe("escalated");

  await expect.poll(() => page.evaluate(() => (window as unknown as { __notifications: unknown[] }).__notifications.length)).toBe(1);
  const [note] = await page.evaluate(() => (window as unknown as { __notifications: { title: string }[] }).__notifications);
  expect(note.title).toBe("New conversation in the queue");
  await expect(page).toHaveTitle(`(1) ${title}`);

  // Back in the tab: the count goes.
  await page.evaluate(() => {
    (window as unknown as { __hidden: boolean }).__hidden = false;
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await expect(page).toHaveTitle(title);
  expect(errors).toEqual([]);
});

// Web Audio, recorded: each tone the page starts is counted.
const COUNT_TONES = `
  window.__tones = 0;
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.__tones += 1; return create.call(this); };
`;

test("an agent turns the escalation sound on; it plays for a new escalation and stays on after a reload", async ({ page }) => {
  const errors = pageErrors(page);
  await page.addInitScript(COUNT_TONES);
  const { email, widgetKey } = await signUpOwner(page, "sound", "Ada's Lamps");
  await signIn(page, email, true);
  await page.getByRole("link", { name: "Inbox" }).click();
  await settled(page, true);
  await expect(page.locator(".live-state")).toHaveText("live");
  const tones = () => page.evaluate(() => (window as unknown as { __tones: number }).__tones);

  // Off until the agent turns it on; turning it on plays it once, to hear what it is.
  const sound = page.getByLabel("Sound");
  await expect(sound).not.toBeChecked();
  expect((await visitorSays(page, widgetKey, "Can I talk to a real person, please?")).status).toBe("escalated");
  await expect(page.locator("li.conversation")).toHaveCount(1);
  expect(await tones()).toBe(0);
  await sound.check();
  await expect.poll(tones).toBe(2);

  expect((await visitorSays(page, widgetKey, "I need a human for my order please")).status).toBe("escalated");
  await expect.poll(tones).toBe(4);

  await page.reload();
  await settled(page, true);
  await expect(page.getByLabel("Sound")).toBeChecked();
  expect(errors).toEqual([]);
});
