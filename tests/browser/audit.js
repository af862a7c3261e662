// Runs in the page (Playwright's evaluate): what an accessibility checker would flag, as
// readable lines. Labels and names of controls, alt text, tab order, one h1, and the contrast
// of every piece of text against what is behind it (WCAG AA: 4.5, or 3 for large text).
(() => {
  const problems = [];
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && !el.closest("[hidden]");
  };
  const describe = (el) => el.outerHTML.slice(0, 90);
  const labelled = (el) =>
    (el.getAttribute("aria-label") || "").trim() ||
    (el.getAttribute("aria-labelledby") || "").split(/\s+/).map((id) => document.getElementById(id)?.textContent || "").join("").trim() ||
    (el.labels ? [...el.labels].map((l) => l.textContent).join("").trim() : "") ||
    (el.getAttribute("title") || "").trim();
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (shown(el) && !labelled(el)) problems.push(`control without a label: ${describe(el)}`);
  }
  for (const el of document.querySelectorAll("button, a[href], [role=button], [role=menuitem], summary")) {
    const name = labelled(el) || el.textContent.trim() || [...el.querySelectorAll("img[alt]")].map((i) => i.alt).join("").trim();
    if (shown(el) && !name) problems.push(`control without a name: ${describe(el)}`);
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push(`image without alt: ${describe(el)}`);
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (Number(el.getAttribute("tabindex")) > 0) problems.push(`tabindex above 0 breaks the order: ${describe(el)}`);
  }
  for (const el of document.querySelectorAll("svg[role=img]")) {
    if (!el.getAttribute("aria-label")) problems.push(`chart without a name: ${describe(el)}`);
  }
  if (!document.documentElement.lang) problems.push("the page has no language");
  const main = document.getElementById("main");
  if (main && main.querySelectorAll("h1").length !== 1) problems.push(`main has ${main.querySelectorAll("h1").length} h1`);

  // Contrast of every piece of text against what is behind it.
  const rgba = (text) => (text.match(/[\d.]+/g) || ["0", "0", "0", "0"]).map(Number).concat(1).slice(0, 4);
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const behind = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const checked = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || checked.has(el) || !shown(el) || el.closest("svg, [disabled], option")) continue;
    checked.add(el);
    const style = getComputedStyle(el);
    const background = behind(el);
    const text = over(rgba(style.color), background);
    const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}: "${node.textContent.trim().slice(0, 40)}" in ${describe(el)}`);
  }
  return problems;
})
