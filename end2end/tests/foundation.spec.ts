import { expect, test } from "@playwright/test";

import { LoginPage, PASSWORD, SignupPage, TeamPage, pageErrors, settled, uniqueEmail } from "./fixtures/pages";

test("sign up lands on the install page with a pasteable snippet; an invited agent cannot reach the team page or its API", async ({ page, browser, javaScriptEnabled }) => {
  const errors = pageErrors(page);
  const ownerEmail = uniqueEmail("owner");
  const signup = new SignupPage(page);
  await signup.goto();
  await settled(page, javaScriptEnabled);
  await signup.signUp("Olivia Owner", ownerEmail, PASSWORD, "Olivia's Shop");
  await expect(page).toHaveURL(/\/dashboard\/install$/);
  await expect(page.getByRole("heading", { name: "Install Iterochat on Olivia's Shop" })).toBeVisible();
  await expect(page.getByText("0 of 4 done.")).toBeVisible();
  await expect(page.locator(".widget-key")).toHaveText(/^wk_/);
  // The snippet is pasteable as shown: this server's own address, the organisation's key.
  const key = await page.locator(".widget-key").innerText();
  const origin = new URL(page.url()).origin;
  await expect(page.locator("#code-html")).toHaveValue(`<script src="${origin}/widget.js" data-widget-key="${key}" async></script>`);
  // Leave only once the page has hydrated: a navigation mid-hydration is not what a person does.
  await settled(page, javaScriptEnabled);
  await page.goto("/dashboard");
  await expect(page.locator("pre.snippet")).toHaveText(`<script src="${origin}/widget.js" data-widget-key="${key}" async></script>`);

  const team = new TeamPage(page);
  await team.goto();
  await settled(page, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: /Team of Olivia's Shop/ })).toBeVisible();
  const agentEmail = uniqueEmail("agent");
  const invitePath = await team.invite(agentEmail, "agent");
  await expect(page.locator(".invites")).toContainText(agentEmail);
  // The link is shown whole, ready to paste, and went to the teammate by mail too.
  expect(invitePath).toMatch(new RegExp(`^${origin}/invite/`));
  await expect(page.locator("a.invite-link")).toHaveText(invitePath);
  await page.goto("/dashboard/alerts");
  const inviteMail = page.locator("li.mail").filter({ hasText: agentEmail });
  await expect(inviteMail).toContainText("invited you to Olivia's Shop");

  // The agent, in a browser of their own, accepts by creating an account on the invite page.
  const agentContext = await browser.newContext();
  const agentPage = await agentContext.newPage();
  await agentPage.goto(invitePath);
  await expect(agentPage.getByRole("heading", { name: "Join Olivia's Shop" })).toBeVisible();
  await agentPage.getByLabel("Your name").fill("Andy Agent");
  await agentPage.getByLabel("Password").fill(PASSWORD);
  await agentPage.getByRole("button", { name: "Create account and join" }).click();
  await expect(agentPage).toHaveURL(/\/dashboard$/);
  await expect(agentPage.getByRole("heading", { name: "Olivia's Shop" })).toBeVisible();
  await expect(agentPage.locator(".role").first()).toHaveText("agent");
  await expect(agentPage.getByRole("link", { name: "Team" })).toHaveCount(0);

  await agentPage.goto("/dashboard/team");
  await expect(agentPage.getByRole("alert")).toContainText("Only owners and admins");

  const me = await (await agentPage.request.get("/api/v1/me")).json();
  const orgId = me.memberships[0].organization.id;
  const members = await agentPage.request.get(`/api/v1/orgs/${orgId}/members`);
  expect(members.status()).toBe(403);
  const invite = await agentPage.request.post(`/api/v1/orgs/${orgId}/invites`, { data: { email: uniqueEmail("x"), role: "agent" } });
  expect(invite.status()).toBe(403);

  // The owner now sees the agent in the team and can promote them.
  await team.goto();
  await settled(page, javaScriptEnabled);
  const row = page.locator(`tr[data-email="${agentEmail}"]`);
  await expect(row).toContainText("Andy Agent");
  // The owner's own row offers no role change or removal.
  await expect(page.locator(`tr[data-email="${ownerEmail}"]`)).toContainText("owner");
  await expect(page.locator(`tr[data-email="${ownerEmail}"] select`)).toHaveCount(0);
  await expect(page.locator(`tr[data-email="${ownerEmail}"]`).getByRole("button")).toHaveCount(0);
  await row.getByLabel(`Role of ${agentEmail}`).selectOption("admin");
  await row.getByRole("button", { name: "Change role" }).click();
  await expect(page.locator(`tr[data-email="${agentEmail}"] select`)).toHaveValue("admin");
  await agentContext.close();
  expect(errors).toEqual([]);
});

test("signing out revokes the session; the dashboard then asks to sign in @nojs", async ({ page }) => {
  const email = uniqueEmail("signout");
  const signup = new SignupPage(page);
  await signup.goto();
  await signup.signUp("Sam", email, PASSWORD, "Sam's Org");
  await expect(page).toHaveURL(/\/dashboard\/install$/);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login/);
  const me = await page.request.get("/api/v1/me");
  expect(me.status()).toBe(401);
});

test("a wrong password shows a form error, the right one signs in, the switcher changes organisation @nojs", async ({ page, javaScriptEnabled }) => {
  const email = uniqueEmail("login");
  const api = await page.request.post("/api/v1/auth/signup", {
    data: { email, password: PASSWORD, name: "Lee", organization_name: "First Org" },
  });
  expect(api.status()).toBe(201);
  const { token } = await api.json();
  const second = await page.request.post("/api/v1/orgs", { data: { name: "Second Org" }, headers: { Authorization: `Bearer ${token}` } });
  expect(second.status()).toBe(201);

  const login = new LoginPage(page);
  await login.goto();
  await settled(page, javaScriptEnabled);
  await login.signIn(email, "not the password");
  await expect(page.getByRole("alert")).toContainText("invalid email or password");
  await login.signIn(email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "First Org" })).toBeVisible();
  await settled(page, javaScriptEnabled);

  // The nav marks where the person is; the page has its icon.
  await expect(page.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("link", { name: "Inbox" })).not.toHaveAttribute("aria-current", "page");
  await expect(page.locator('link[rel="icon"]')).toHaveAttribute("href", "/favicon.svg");

  await page.locator(".org-switcher summary").click();
  await page.getByRole("button", { name: /Second Org/ }).click();
  await expect(page.getByRole("heading", { name: "Second Org" })).toBeVisible();

  // A new organisation from the Overview leaves the form empty for the next one.
  await settled(page, javaScriptEnabled);
  const form = page.locator("#new-organization");
  await form.getByLabel("Name").fill("Third Org");
  await form.getByRole("button", { name: "Create organization" }).click();
  await expect(page.locator(".org-switcher")).toContainText("Third Org");
  await expect(form.getByLabel("Name")).toHaveValue("");
  await page.goto("/dashboard/conversations");
  await expect(page.getByRole("link", { name: "Inbox" })).toHaveAttribute("aria-current", "page");
});

test("sign-up refuses a common password with a message beside the form @nojs", async ({ page }) => {
  const signup = new SignupPage(page);
  await signup.goto();
  await signup.signUp("Weak", uniqueEmail("weak"), "password123", "Weak Org");
  await expect(page.getByRole("alert")).toContainText("too common");
  await expect(page).toHaveURL(/\/signup/);
});
