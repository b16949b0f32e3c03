// The API tester: pick a model, fill its parameters from its JSON Schema, run it as the
// signed-in account, watch the task, see the result and the equivalent code: curl and
// Python, for a chat model on each chat API (built by POST /dashboard/api/snippets).
(function () {
  "use strict";
  const root = document.getElementById("playground");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const modelSelect = $("pg-model");
  const modeSelect = $("pg-mode");
  const form = $("pg-form");
  const runButton = $("pg-run");
  const price = $("pg-price");
  const errorBox = $("pg-error");
  const statusBox = $("pg-status");
  const progress = $("pg-progress");
  const result = $("pg-result");
  const taskLink = $("pg-task-link");
  const curl = $("pg-curl");
  const surfaces = $("pg-surfaces");
  const endpoint = $("pg-endpoint");
  const pythonBox = $("pg-python-box");
  const python = $("pg-python");
  const sdk = $("pg-sdk");
  const el = window.SchemaForm.el;
  const TERMINAL = ["SUCCESS", "FAILED", "CANCELED"];

  let model = null;
  let controller = null;
  let timer = null;
  let polling = null;
  let snippets = [];
  let surface = null;
  let asked = 0;

  function body() { return controller.values(); }

  function showSnippet() {
    const snippet = snippets.find((s) => s.surface === surface) || snippets[0];
    if (!snippet) return;
    surface = snippet.surface;
    surfaces.querySelectorAll(".tab").forEach((tab) => {
      tab.setAttribute("aria-selected", String(tab.dataset.surface === surface));
    });
    endpoint.textContent = snippet.endpoint;
    curl.textContent = snippet.curl;
    pythonBox.hidden = !snippet.python;
    python.textContent = snippet.python || "";
    sdk.textContent = snippet.sdk || "";
  }

  async function renderCode(data) {
    const mine = ++asked;
    const answer = await window.AIO.api("POST", "/dashboard/api/snippets", { model: model.slug, body: data });
    if (mine !== asked) return;  // a later form state already asked
    snippets = answer.data.snippets;
    surfaces.innerHTML = "";
    snippets.forEach((s) => {
      surfaces.appendChild(el("button", { type: "button", class: "tab", role: "tab", "data-surface": s.surface, text: s.label }));
    });
    surfaces.hidden = snippets.length < 2;
    showSnippet();
  }

  function badge(status) {
    statusBox.innerHTML = "";
    statusBox.appendChild(el("span", { class: "badge badge-" + status.toLowerCase(), text: status.replace("_", " ").toLowerCase() }));
  }

  async function refresh() {
    errorBox.textContent = "";
    let data;
    try { data = body(); } catch (e) { errorBox.textContent = e.message; return; }
    renderCode(data).catch((e) => { errorBox.textContent = e.message; });
    try {
      const answer = await window.AIO.api("POST", "/dashboard/api/quotes", { path: model.endpoint, body: data, mode: modeSelect.value });
      price.textContent = answer.data.credits.toLocaleString() + " credits" + (answer.data.pricing === "tokens" ? " at most" : "");
    } catch (e) {
      price.textContent = "—";
      errorBox.textContent = e.message;
    }
  }

  function later() { clearTimeout(timer); timer = setTimeout(refresh, 300); }

  async function upload(file) {
    const data = new FormData();
    data.append("file", file);
    const answer = await window.AIO.api("POST", "/dashboard/api/uploads", data);
    return answer.data.url;
  }

  async function load(slug) {
    const answer = await window.AIO.api("GET", "/dashboard/api/models/" + encodeURIComponent(slug));
    model = answer.data.model;
    $("pg-description").textContent = model.description + " · " + model.price.summary;
    controller = window.SchemaForm.build(form, model.parameters, answer.data.example, {
      prefix: "pg", upload, onError: (e) => { errorBox.textContent = e.message; },
    });
    const url = new URL(window.location.href);
    url.searchParams.set("model", slug);
    window.history.replaceState(null, "", url);
    const chat = model.kind === "chat";
    // A chat model is a conversation (chat.js); any other model is its schema form.
    ["pg-chat", "pg-chat-settings"].forEach((id) => { $(id).hidden = !chat; });
    ["pg-form", "pg-run-bar", "pg-result-box"].forEach((id) => { $(id).hidden = chat; });
    if (chat && window.AIO_CHAT) window.AIO_CHAT.describe();
    else refresh();
  }

  function showMedia(urls) {
    result.innerHTML = "";
    urls.forEach((url, index) => {
      const kind = window.SchemaForm.mediaKind(url);
      let node;
      if (kind === "image") node = el("img", { src: url, alt: "Result " + (index + 1) });
      else if (kind === "video") node = el("video", { src: url, controls: true });
      else if (kind === "audio") node = el("audio", { src: url, controls: true });
      const link = el("a", { href: url, target: "_blank", rel: "noopener", text: url.split("/").pop() });
      result.appendChild(el("figure", { class: "media" }, [node, el("figcaption", {}, [link])]));
    });
  }

  function showTask(task) {
    badge(task.status);
    progress.hidden = TERMINAL.includes(task.status);
    progress.value = task.progress || (task.phase === "processing" ? 10 : 2);
    if (task.status === "SUCCESS") {
      if (task.response && task.response.length) showMedia(task.response);
      if (task.result && !(task.response && task.response.length)) {
        result.innerHTML = "";
        result.appendChild(el("pre", { class: "code small", text: JSON.stringify(task.result, null, 2) }));
      }
      taskLink.textContent = "";
      taskLink.appendChild(document.createTextNode("Charged " + task.consumed_credits + " credits · "));
      taskLink.appendChild(el("a", { href: "/tasks/" + task.task_id, text: "open task " + task.task_id }));
    } else if (task.status === "FAILED" || task.status === "CANCELED") {
      result.innerHTML = "";
      result.appendChild(el("div", { class: "flash flash-error", text: task.error_message || task.status }));
      taskLink.textContent = "Nothing was charged: the hold was released.";
    } else {
      result.innerHTML = "";
      result.appendChild(el("p", { class: "muted", text: "Working on it… (" + task.phase + (task.progress ? ", " + task.progress + "%" : "") + ")" }));
    }
  }

  async function poll(taskId) {
    try {
      const answer = await window.AIO.api("GET", "/dashboard/api/tasks/" + encodeURIComponent(taskId));
      showTask(answer.data);
      if (TERMINAL.includes(answer.data.status)) { runButton.disabled = false; return; }
    } catch (e) {
      errorBox.textContent = e.message;
    }
    polling = setTimeout(() => poll(taskId), 600);
  }

  function showChat(answer) {
    badge("SUCCESS");
    progress.hidden = true;
    const message = (answer.choices && answer.choices[0] && answer.choices[0].message) || {};
    result.innerHTML = "";
    if (message.reasoning_content) {
      result.appendChild(el("details", { class: "reasoning" }, [el("summary", { text: "Reasoning" }), el("p", { text: message.reasoning_content })]));
    }
    result.appendChild(el("div", { class: "chat-answer", text: message.content || "" }));
    taskLink.textContent = "Charged " + (answer.credits_consumed || 0) + " credits" +
      (answer.usage ? " · " + answer.usage.prompt_tokens + " prompt + " + answer.usage.completion_tokens + " completion tokens" : "");
  }

  async function run() {
    errorBox.textContent = "";
    clearTimeout(polling);
    let data;
    try { data = body(); } catch (e) { errorBox.textContent = e.message; return; }
    runButton.disabled = true;
    taskLink.textContent = "";
    result.innerHTML = "";
    result.appendChild(el("p", { class: "muted", text: "Submitting…" }));
    progress.hidden = false;
    progress.value = 1;
    try {
      const answer = await window.AIO.api("POST", "/dashboard/api/run", { path: model.endpoint, body: data, mode: modeSelect.value });
      if (model.kind === "chat") { showChat(answer); runButton.disabled = false; return; }
      showTask(Object.assign({ progress: 0, response: [] }, answer.data));
      poll(answer.data.task_id);
    } catch (e) {
      runButton.disabled = false;
      progress.hidden = true;
      result.innerHTML = "";
      errorBox.textContent = e.message;
      statusBox.innerHTML = "";
    }
  }

  window.AIO_PLAYGROUND = {
    model: () => model,
    example: () => { try { return body(); } catch (e) { return {}; } },
    code: (data) => renderCode(data).catch((e) => { errorBox.textContent = e.message; }),
  };
  modelSelect.addEventListener("change", () => load(modelSelect.value).catch((e) => { errorBox.textContent = e.message; }));
  surfaces.addEventListener("click", (event) => {
    const tab = event.target.closest(".tab");
    if (!tab) return;
    surface = tab.dataset.surface;
    showSnippet();
  });
  modeSelect.addEventListener("change", later);
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", (e) => e.preventDefault());
  runButton.addEventListener("click", run);
  load(root.dataset.chosen).catch((e) => { errorBox.textContent = e.message; });
})();
