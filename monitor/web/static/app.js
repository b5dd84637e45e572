// crisiswatch console: live regions, countdowns and confirmations. No framework, no build step.
"use strict";

// An element with data-live="URL" is replaced by the HTML fragment at URL (plus the page's
// query) whenever the server's event stream names its topic (data-topic, default incidents).
function startLive() {
  const regions = document.querySelectorAll("[data-live]");
  if (!regions.length || !window.EventSource) return;
  const topics = new Set([...regions].map((el) => el.dataset.topic || "incidents"));
  const source = new EventSource("/events?topics=" + [...topics].join(","));
  const refresh = async (topic) => {
    for (const el of regions) {
      if ((el.dataset.topic || "incidents") !== topic) continue;
      const response = await fetch(el.dataset.live + window.location.search,
                                   { credentials: "same-origin" });
      if (response.redirected) { window.location.reload(); return; } // the login ended
      if (response.ok) {
        el.innerHTML = await response.text();
        el.dispatchEvent(new CustomEvent("cw:updated", { bubbles: true }));
        tick();
      }
    }
  };
  for (const topic of topics) source.addEventListener(topic, () => refresh(topic));
}

// <time data-deadline="ISO"> shows the time left ("12m 05s") or overdue ("overdue 3m").
function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll("[data-deadline]")) {
    const left = Math.round((Date.parse(el.dataset.deadline) - now) / 1000);
    const span = Math.abs(left);
    const h = Math.floor(span / 3600), m = Math.floor((span % 3600) / 60), s = span % 60;
    const text = (h ? h + "h " : "") + (h || m ? String(m).padStart(h ? 2 : 1, "0") + "m " : "") +
      String(s).padStart(2, "0") + "s";
    const zh = document.documentElement.lang.startsWith("zh");
    el.textContent = left >= 0 ? (zh ? "剩余 " : "") + text + (zh ? "" : " left")
                               : (zh ? "已超时 " : "overdue ") + text;
    el.classList.toggle("overdue", left < 0);
  }
}

// <form data-confirm="question"> asks before submitting.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  startLive();
  tick();
  setInterval(tick, 1000);
});
