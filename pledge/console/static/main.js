// The pledge console's entry: sign-in, navigation and the routes of the page (#/...), each a view module
// over the JSON API (docs/api.md, docs/console.md). Native ES modules, no build step.

import { explain, forgetToken, keepToken, onUnauthorized, request, token } from "./api.js";
import { customerView, reportPage } from "./customer.js";
import { detailView } from "./detail.js";
import { h, main, problem, show } from "./dom.js";
import { listView } from "./list.js";
import { begin, leaveView } from "./nav.js";
import { reviewView } from "./review.js";

const VIEWS = { "": listView, sla: detailView, customer: customerView, report: reportPage, review: reviewView };

function signOut(reason) {
  forgetToken();
  leaveView();
  showSignIn(reason);
}

function showSignIn(reason) {
  document.getElementById("nav").hidden = true;
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "signin-help" });
  const error = h("p", { class: "error", role: "alert", id: "signin-error", text: reason ?? "" });
  const submit = async (event) => {
    event.preventDefault();
    try {
      await request("/v1/slas?limit=1", "application/json", input.value.trim());
      keepToken(input.value.trim());
      route();
    } catch (failure) {
      error.textContent = failure.status === 401 ? "That token is not valid." : `Sign-in failed: ${explain(failure)}.`;
      input.focus();
    }
  };
  show(h("form", { class: "card signin", onsubmit: submit, "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", text: "Sign in to pledge" }),
    h("label", { for: "token", text: "API token" }), input,
    h("p", { class: "muted", id: "signin-help", text: "A token from the API's tokens file. It is kept in this tab only and sent in a header, never in a URL." }),
    h("button", { class: "primary", type: "submit", text: "Sign in" }), error));
  input.focus();
}

async function route() {
  const view = begin();
  if (!token()) return showSignIn();
  document.getElementById("nav").hidden = false;
  const [name, ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  for (const a of document.querySelectorAll("#nav a")) {
    a.toggleAttribute("aria-current", a.getAttribute("href") === `#/${name}`);
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  }
  try {
    await (VIEWS[name] ?? listView)(view, ...args);
  } catch (failure) {
    if (token() && !view.stale()) show(h("h1", { text: "This page could not be shown" }), problem("The figures could not be read", failure));
  }
}

onUnauthorized(signOut);
document.getElementById("sign-out").addEventListener("click", () => signOut("Signed out."));
document.getElementById("skip").addEventListener("click", (e) => { e.preventDefault(); main.focus(); });
document.addEventListener("keydown", (e) => {
  if (e.key === "/" && !["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName)) {
    e.preventDefault();
    document.getElementById("search")?.focus();
  }
});
window.addEventListener("hashchange", route);
route();
