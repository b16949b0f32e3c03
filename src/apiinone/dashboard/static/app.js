// Small helpers for every page: copy buttons, reveal, confirmations, and the JSON calls
// the playground and the calculator make to /dashboard/api (cookie session + CSRF header).
(function () {
  "use strict";

  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function api(method, path, body) {
    const init = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const message = data && data.error ? data.error.message : "HTTP " + response.status;
      const error = new Error(message);
      error.status = response.status;
      error.param = data && data.error ? data.error.param : null;
      throw error;
    }
    return data;
  }

  function textOf(el) {
    return "value" in el && el.tagName !== "BUTTON" ? el.value : el.textContent;
  }

  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }

  document.addEventListener("click", async (event) => {
    const copyButton = event.target.closest("[data-copy]");
    if (copyButton) {
      const target = document.querySelector(copyButton.dataset.copy);
      if (!target) return;
      const label = copyButton.textContent;
      try {
        await copy(textOf(target).trim());
        copyButton.textContent = "Copied";
      } catch (e) {
        copyButton.textContent = "Copy failed";
      }
      setTimeout(() => { copyButton.textContent = label; }, 1500);
      return;
    }
    const reveal = event.target.closest("[data-reveal]");
    if (reveal) {
      const target = document.querySelector(reveal.dataset.reveal);
      if (target) {
        target.classList.toggle("masked");
        reveal.textContent = target.classList.contains("masked") ? "Reveal" : "Hide";
      }
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  window.AIO = { api, csrf, copy };
})();

// A filter select marked data-autosubmit applies itself when changed.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form && select.form.submit());
});

// Phones: the menu button of the top bar shows and hides the sidebar.
(() => {
  const button = document.getElementById("menu-button");
  if (!button) return;
  button.addEventListener("click", () => {
    const open = document.body.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
