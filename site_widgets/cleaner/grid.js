// The cleaner's photo grid: one page of photos at a time, each a focusable card with its
// label, prediction and loss (a ranking's: its score, suggestion and what ImageNet sees)
// and the keep / delete / relabel buttons, the suggested one outlined; keyboard control.
//
// Thumbnails are object URLs of the reader's own files (nothing is uploaded), made only for
// the page shown and revoked when the page changes, and decoded lazily by the browser, so
// 700 photos never decode at once. A photo that does not decode shows a placeholder and
// can still be marked.

import { h } from "../common/ui.js";
import { suggestion } from "./state.js";
import { visible } from "./text.js";

const pct = (p) => (p === null ? "?" : `${(100 * p).toFixed(1)}%`);
const name = (s) => h("bdi", {}, visible(s)); // isolated: a right-to-left name does not reorder what is beside it

/** A ranking's card: label and suggestion, score, the out-of-fold reading and ImageNet's. */
function rankingFacts(it) {
  const change = it.suggested !== null && it.suggested !== it.label;
  return [`label `, h("b", {}, name(it.label)), `, suggested `, h("b", { class: change ? "cln-change" : null }, name(it.suggested ?? "?")),
    h("br"), `score ${it.score === null ? "?" : it.score.toFixed(2)}`,
    ...(it.pred !== null ? [` · out of fold: `, name(it.pred), ` ${pct(it.probPred)}`] : []),
    ...(it.imagenetTop !== null ? [h("br"), `ImageNet: `, name(it.imagenetTop)] : [])];
}

export function markText(mark) {
  if (!mark) return "not marked";
  return mark.action === "relabel" ? `relabel as ${mark.label}` : mark.action;
}

export class Grid {
  /**
   * Draws the page of `state` (a CleanerState) that is shown. onMark(item, action|null,
   * label|null) is called for every decision: the owner stores it and calls update(item).
   * onPage(page) asks for another page (the owner moves state there and calls render()).
   * photoNote(item) says why an item has no photo.
   */
  constructor({ state, onMark, onPage, photoNote, onRender }) {
    this.state = state;
    this.onMark = onMark;
    this.onPage = onPage;
    this.photoNote = photoNote;
    this.onRender = onRender || (() => {});
    this.urls = new Set();
    this.cards = new Map(); // file -> li on the current page

    this.list = h("ul", { class: "cln-grid", "aria-label": "Photos, worst first" });
    this.pagers = [this._pager(), this._pager()];
    this.node = h("div", { class: "cln-gridwrap" }, this.pagers[0].node, this.list, this.pagers[1].node);
    this.list.addEventListener("keydown", (e) => this._key(e));
    this.list.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-act]");
      if (!b) return;
      const item = this._item(b.closest(".cln-item"));
      const pressed = b.getAttribute("aria-pressed") === "true";
      // pressing a pressed button takes the mark back
      if (pressed) this.onMark(item, null, null);
      else this.onMark(item, b.dataset.act, b.dataset.label || null);
    });
  }

  _item(li) {
    return this.state.items[+li.dataset.index];
  }

  _pager() {
    const prev = h("button", { type: "button", class: "cln-btn", onclick: () => this.go(this.state.page - 1) }, "← Previous page");
    const next = h("button", { type: "button", class: "cln-btn", onclick: () => this.go(this.state.page + 1) }, "Next page →");
    const text = h("span", { class: "cln-pageinfo" });
    return { node: h("nav", { class: "cln-pager", "aria-label": "Pages of photos" }, prev, text, next), prev, next, text };
  }

  /** Another page; focus "first" | "last" puts the focus on its first or last photo. */
  go(page, focus = null) {
    if (!this.onPage(page) && focus === null) return;
    if (focus === "first") this.list.querySelector(".cln-item")?.focus();
    if (focus === "last") [...this.list.querySelectorAll(".cln-item")].pop()?.focus();
  }

  render() {
    const st = this.state;
    this.releaseUrls();
    this.cards.clear();
    const { start, indexes } = st.pageSlice();
    this.list.setAttribute("aria-label", st.list.kind === "ranking" ? "Photos, most suspect first" : "Photos, worst prediction first");
    this.list.replaceChildren(...indexes.map((i) => this._card(i)));
    if (!indexes.length) this.list.append(h("li", { class: "cln-empty" }, "No photo matches this filter."));
    for (const pg of this.pagers) {
      pg.node.hidden = st.pages <= 1;
      pg.prev.disabled = st.page === 0;
      pg.next.disabled = st.page >= st.pages - 1;
      pg.text.textContent = `Page ${st.page + 1} of ${st.pages} · photos ${indexes.length ? start + 1 : 0}–${start + indexes.length} of ${st.order.length}`;
    }
    this.onRender();
  }

  releaseUrls() {
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls.clear();
  }

  _card(index) {
    const it = this.state.items[index];
    const wrong = it.pred !== null && it.pred !== it.label;
    const facts = !it.listed ? [`label `, h("b", {}, name(it.label)), h("br"), `not in the list (found in the folder)`]
      : this.state.list.kind === "ranking" ? rankingFacts(it)
        : [`label `, h("b", {}, name(it.label)), `, predicted `, h("b", {}, it.pred === null ? "?" : name(it.pred)), ` ${pct(it.probPred)}`,
          h("br"), `loss ${it.loss === null ? "?" : it.loss.toFixed(2)} · p(`, name(it.label), `) ${pct(it.probLabel)}`];
    // a button for every class; the first nine have a key too; the suggested one is outlined
    const s = suggestion(it);
    const buttons = [
      this._button("keep", null, "k", "Keep", null, s?.[0] === "keep"),
      this._button("delete", null, "d", "Delete", null, s?.[0] === "delete"),
      ...this.state.list.classes.map((c, j) => this._button("relabel", c, j < 9 ? String(j + 1) : null, visible(c),
        c === it.label ? `${visible(c)}: keep its label` : `Relabel as ${visible(c)}`, s?.[0] === "relabel" && s[1] === c)),
    ];
    const li = h("li", { class: "cln-item", tabindex: "0", dataset: { index, file: it.file, wrong: String(wrong), listed: String(it.listed) } },
      h("div", { class: "cln-thumb" }, this._photo(it)),
      h("div", { class: "cln-info" },
        h("p", { class: "cln-name" }, h("span", { class: "cln-rank" }, it.listed ? `#${it.rank}` : "new"), " ", name(it.file)),
        h("p", { class: "cln-facts" }, ...facts),
        h("p", { class: "cln-badge" })),
      h("div", { class: "cln-actions", role: "group", "aria-label": `Decision for ${visible(it.file)}` }, ...buttons));
    this.cards.set(it.file, li);
    this.update(it);
    return li;
  }

  /** key: its keyboard key, or null (classes after the ninth have none); suggested: the list's suggestion. */
  _button(act, label, key, text, aria = null, suggested = false) {
    const said = `${aria || text}${suggested ? " (suggested)" : ""}`;
    const data = { act, ...(label ? { label } : {}), ...(suggested ? { suggested: "true" } : {}) };
    return h("button", { type: "button", class: "cln-btn cln-mark", "aria-pressed": "false", dataset: data,
      "aria-label": said, title: key ? `${said} (key ${key})` : said },
    key ? [h("kbd", { "aria-hidden": "true" }, key), " "] : null, text);
  }

  _photo(it) {
    const file = this.state.found.get(it.file);
    if (!file) return h("div", { class: "cln-ph", dataset: { photo: "none" } }, this.photoNote(it));
    const url = URL.createObjectURL(file);
    this.urls.add(url);
    const img = h("img", { src: url, alt: `photo ${visible(it.file)}`, loading: "lazy", decoding: "async" });
    img.addEventListener("load", () => { img.dataset.photo = "shown"; });
    img.addEventListener("error", () => {
      URL.revokeObjectURL(url);
      this.urls.delete(url);
      img.replaceWith(h("div", { class: "cln-ph cln-broken", dataset: { photo: "broken" } },
        "Could not decode this image (corrupt or not really an image). You can still mark it; delete is usually right."));
    });
    return img;
  }

  /** Redraw one card's mark (pressed buttons, badge, label for screen readers). */
  update(it) {
    const li = this.cards.get(it.file);
    if (!li) return;
    const m = this.state.markOf(it.file);
    li.dataset.action = m ? m.action : "none";
    if (m?.action === "relabel") li.dataset.newLabel = m.label;
    else delete li.dataset.newLabel;
    for (const b of li.querySelectorAll("button[data-act]")) {
      const pressed = b.dataset.act === "relabel"
        ? (m?.action === "relabel" && m.label === b.dataset.label) || (m?.action === "keep" && b.dataset.label === it.label)
        : m?.action === b.dataset.act;
      b.setAttribute("aria-pressed", String(pressed));
    }
    li.querySelector(".cln-badge").textContent = m ? `Marked: ${markText(m)}` : "";
    const ranked = `, suggested ${visible(it.suggested ?? "?")}, score ${it.score === null ? "?" : it.score.toFixed(2)}`;
    const pred = !it.listed ? ", not in the list" : this.state.list.kind === "ranking" ? ranked
      : `, predicted ${it.pred ?? "?"} ${pct(it.probPred)}, loss ${it.loss === null ? "?" : it.loss.toFixed(2)}`;
    li.setAttribute("aria-label", `${visible(it.file)}: labelled ${visible(it.label)}${pred}; ${markText(m)}`);
  }

  _key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const li = e.target.closest(".cln-item");
    if (!li) return;
    const item = this._item(li);
    const key = e.key;
    const classes = this.state.list.classes;
    const mark = (action, label = null) => {
      e.preventDefault();
      this.onMark(item, action, label);
      this.move(li, 1);
    };
    if (key === "k" || key === "K") return mark("keep");
    if (key === "d" || key === "D") return mark("delete");
    if (key === "u" || key === "U") { e.preventDefault(); this.onMark(item, null, null); return; }
    const s = suggestion(item);
    if ((key === "a" || key === "A") && s) return mark(...s); // accept the list's suggestion
    if (/^[1-9]$/.test(key) && +key <= classes.length) return mark("relabel", classes[+key - 1]);
    const onButton = e.target !== li;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: this.columns(), ArrowUp: -this.columns() };
    if (key in moves && !onButton) { e.preventDefault(); this.move(li, moves[key]); return; }
    if (key === "Home" && !onButton) { e.preventDefault(); this.list.querySelector(".cln-item")?.focus(); return; }
    if (key === "End" && !onButton) { e.preventDefault(); [...this.list.querySelectorAll(".cln-item")].pop()?.focus(); return; }
    if (key === "PageDown") { e.preventDefault(); this.go(this.state.page + 1, "first"); return; }
    if (key === "PageUp") { e.preventDefault(); this.go(this.state.page - 1, "first"); }
  }

  /** How many cards sit in one row of the grid as laid out now. */
  columns() {
    const cards = [...this.list.querySelectorAll(".cln-item")];
    if (!cards.length) return 1;
    const top = cards[0].offsetTop;
    return Math.max(1, cards.filter((c) => c.offsetTop === top).length);
  }

  /** Focus the card `delta` places away, across pages. */
  move(li, delta) {
    const cards = [...this.list.querySelectorAll(".cln-item")];
    const at = cards.indexOf(li) + delta;
    if (at >= 0 && at < cards.length) cards[at].focus();
    else if (at >= cards.length && this.state.page < this.state.pages - 1) this.go(this.state.page + 1, "first");
    else if (at < 0 && this.state.page > 0) this.go(this.state.page - 1, "last");
    else li.focus(); // at either end: stay
  }
}
