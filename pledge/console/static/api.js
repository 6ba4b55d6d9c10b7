// The JSON API (docs/api.md): the token, requests, paging, and failures as errors that say what went wrong.
// The token lives in sessionStorage and travels in the Authorization header only, never in a URL.

const TOKEN_KEY = "pledge.token";
export const enc = encodeURIComponent;
export const slaPath = (ns, name) => `/v1/slas/${enc(ns)}/${enc(name)}`;

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const keepToken = (value) => sessionStorage.setItem(TOKEN_KEY, value);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

let unauthorized = () => {};
/** What to do when the API stops accepting the tab's token (main.js signs the tab out). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** A failed request: the HTTP status (0 when the API could not be reached) and the API's reason. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(status ? `${status}: ${detail}` : detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

// The API answers failures as RFC 9457 problems: {title, status, detail}; the detail says why.
async function reasonOf(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return body.detail ?? body.title ?? response.statusText;
  } catch {
    return text.trim().slice(0, 200) || response.statusText;
  }
}

export async function request(path, accept = "application/json", bearer = token()) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${bearer}`, Accept: accept } });
  } catch (failure) {
    throw new ApiError(0, `the pledge API could not be reached (${failure.message})`);
  }
  if (!response.ok) {
    const detail = await reasonOf(response);
    if (response.status === 401 && bearer === token()) unauthorized("Your session ended: the token was not accepted.");
    throw new ApiError(response.status, detail);
  }
  return response;
}

export const api = async (path) => (await request(path)).json();

/** Every item of a paged route (/v1/slas, /v1/details, /v1/reports), a page of the API's largest limit at a time. */
export async function allPages(path, params = {}) {
  const items = [];
  for (let offset = 0; offset !== null;) {
    const query = new URLSearchParams({ ...params, limit: "1000", offset: String(offset) });
    const page = await api(`${path}?${query}`);
    items.push(...page.items);
    offset = page.next_offset;
  }
  return items;
}

/** How pledge's past predictions of closed calendar periods turned out (GET /v1/predictions/record): the whole
 * record the token sees, or one customer's; `periods` closed periods back per SLA. */
export const trackRecord = (customer, periods = 6) =>
  api(`/v1/predictions/record?${new URLSearchParams({ periods: String(periods), ...(customer ? { customer } : {}) })}`);

/** An SLA's record of accepted definitions, oldest first (GET /v1/slas/{ns}/{name}/revisions): each revision's
 * number, when and by whom it was accepted, why, its kind and what changed since the one before, in words. */
export const revisions = (ns, name) => api(`${slaPath(ns, name)}/revisions`);

/** A failure in words for the people who read the console (customer success included). */
export function explain(failure) {
  if (!(failure instanceof ApiError)) return `the console failed (${failure.message})`;
  switch (failure.status) {
    case 0: return `${failure.detail}; check the network and reload the page`;
    case 401: return "the token was not accepted; sign in again";
    case 403: return "this token may not see it";
    case 404: return "it does not exist, or this token may not see it";
    case 422: return `the API refused the question (${failure.detail})`;
    case 502: return `Prometheus, where the figures come from, answered something unexpected (${failure.detail}); try again in a minute`;
    case 503: return `Prometheus, where the figures come from, is not answering right now (${failure.detail}); try again in a minute`;
    default: return `the API answered ${failure.status} (${failure.detail})`;
  }
}
