// Which view is on screen: a view whose answers come back after the next navigation draws nothing,
// and a view's timers stop when it is left.

let visit = 0;
let leave = () => {};

/** A new view: its `stale()` turns true once the next one begins; `onLeave` registers its clean-up. */
export function begin() {
  leaveView();
  const mine = visit;
  return { stale: () => mine !== visit, onLeave: (clean) => { leave = clean; } };
}

/** The view on screen is left (a navigation, a sign-out): it is stale from now on. */
export function leaveView() {
  visit += 1;
  leave();
  leave = () => {};
}
