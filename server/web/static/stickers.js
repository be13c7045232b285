// A sheet of QR stickers for a site (?site=) or a selection (?ids=a,b), to print: each the
// device's name and place, "call 112 first", and the code of its public page.
"use strict";

const wanted = new URLSearchParams(location.search);
const SVG = "image/svg+xml";

function sticker(item) {
  const figure = document.getElementById("sticker").content.firstElementChild.cloneNode(true);
  figure.dataset.device = item.id;
  // The code is the server's own SVG (from the qrcode library), parsed as SVG, never as HTML.
  const svg = new DOMParser().parseFromString(item.svg, SVG).documentElement;
  if (svg.namespaceURI === "http://www.w3.org/2000/svg") figure.querySelector(".code").append(document.importNode(svg, true));
  figure.querySelector(".name").textContent = item.name || item.id;
  figure.querySelector(".place").textContent = [item.place, item.site].filter(Boolean).join(", ");
  return figure;
}

async function load() {
  const params = new URLSearchParams();
  for (const name of ["site", "ids"]) if (wanted.get(name)) params.set(name, wanted.get(name));
  const items = await api("/api/v1/stickers?" + params);
  const sheet = document.getElementById("sheet");
  sheet.replaceChildren(...(items.length ? items.map(sticker) : [text("p", t("none"), "hint")]));
  sheet.dataset.count = String(items.length);
}

function draw() { drawFrame(t("stickers")); }
bindLanguage(draw);
wordsReady.then(draw);
document.getElementById("print").addEventListener("click", () => window.print());
poll(load, 3600);
