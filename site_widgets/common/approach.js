// "Load on approach": start a widget's heavy runtime when the reader comes near it, not on
// page load and not on first use. A reader who never scrolls near the widget downloads
// none of it; one who reads the page and then uses the widget finds it ready.
//
//   onApproach(ctx, el, () => startLoading(), { margin: "100% 0px" });
//
// `go` runs once, the first time one of these happens:
//   - el comes within `margin` of the viewport (an IntersectionObserver rootMargin: "100% 0px"
//     is a screen's height above and below; a widget already in view counts at once);
//   - the pointer enters el, or the focus moves into it (keyboard readers, tabbing).
// Not while the browser says it is offline (the download would only fail): the approach is
// remembered and `go` runs when the 'online' event comes. Everything ends on unmount (ctx);
// the returned function ends it sooner.

/** @param ctx  the widget's context (common/context.js); @param el  the widget's element */
export function onApproach(ctx, el, go, { margin = "100% 0px" } = {}) {
  const offs = [];
  let near = false;
  const stop = () => offs.splice(0).forEach((off) => off());
  const fire = () => {
    if (!near || navigator.onLine === false) return;
    stop();
    if (!ctx.signal.aborted) go();
  };
  const approach = () => {
    near = true;
    fire();
  };
  if (typeof IntersectionObserver !== "undefined") {
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && approach(),
      { rootMargin: margin });
    io.observe(el);
    offs.push(() => io.disconnect());
  }
  offs.push(ctx.listen(el, "pointerenter", approach), ctx.listen(el, "focusin", approach),
    ctx.listen(window, "online", fire));
  ctx.onUnmount(stop);
  return stop;
}
