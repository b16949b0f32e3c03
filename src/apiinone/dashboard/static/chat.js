// The playground's conversation for chat models: a system prompt, temperature and max
// tokens, streamed answers (reasoning folded), a stop button and each turn's cost. Turns
// go to POST /dashboard/api/chat, which streams the chat's events and then the cost.
(function () {
  "use strict";
  const root = document.getElementById("playground");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const log = $("pg-chat-log");
  const compose = $("pg-chat-compose");
  const message = $("pg-chat-message");
  const send = $("pg-chat-send");
  const stop = $("pg-chat-stop");
  const errorBox = $("pg-chat-error");
  const el = (tag, attrs, children) => window.SchemaForm.el(tag, attrs || {}, children || []);
  let history = [];
  let aborter = null;

  function settings() {
    const body = { model: window.AIO_PLAYGROUND.model().slug, messages: [] };
    const system = $("pg-chat-system").value.trim();
    if (system) body.messages.push({ role: "system", content: system });
    body.messages.push(...history);
    const temperature = $("pg-chat-temperature").value;
    if (temperature !== "") body.temperature = Number(temperature);
    const maxTokens = $("pg-chat-max-tokens").value;
    if (maxTokens !== "") body.max_tokens = Number(maxTokens);
    return body;
  }

  // The code panel shows the conversation as it would be sent next.
  function describe(extra) {
    const body = settings();
    if (extra) body.messages.push({ role: "user", content: extra });
    if (!body.messages.some((m) => m.role !== "system")) {
      // Nothing said yet: show the model's example conversation.
      const example = window.AIO_PLAYGROUND.example().messages || [{ role: "user", content: "Hello!" }];
      body.messages.push(...example.filter((m) => m.role !== "system"));
    }
    window.AIO_PLAYGROUND.code(body);
  }

  function bubble(role, text) {
    const node = el("div", { class: "chat-turn chat-" + role, "data-role": role });
    node.appendChild(el("div", { class: "chat-role", text: role === "user" ? "You" : "Assistant" }));
    const content = el("div", { class: "chat-content", text: text || "" });
    node.appendChild(content);
    if (log.querySelector("p.muted")) log.innerHTML = "";
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return { node, content };
  }

  function parseEvents(buffer, onEvent) {
    let index;
    while ((index = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      let name = "message";
      const data = [];
      raw.split("\n").forEach((line) => {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      });
      if (data.length) onEvent(name, data.join("\n"));
    }
    return buffer;
  }

  async function turn(text) {
    errorBox.textContent = "";
    history.push({ role: "user", content: text });
    bubble("user", text);
    const answer = bubble("assistant", "");
    answer.node.classList.add("streaming");
    let reasoning = null;
    let content = "";
    let usage = null;
    let credits = null;
    let failed = null;
    aborter = new AbortController();
    send.disabled = true;
    stop.hidden = false;
    try {
      const response = await fetch("/dashboard/api/chat", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": window.AIO.csrf() },
        body: JSON.stringify({ body: settings(), mode: $("pg-mode").value }),
        signal: aborter.signal,
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        throw new Error((problem.error && problem.error.message) || "HTTP " + response.status);
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = parseEvents(buffer + decoder.decode(value, { stream: true }), (name, data) => {
          if (name === "cost") { credits = JSON.parse(data).credits; return; }
          if (data === "[DONE]") return;
          const chunk = JSON.parse(data);
          if (chunk.error) { failed = chunk.error.message; return; }
          if (chunk.usage) usage = chunk.usage;
          (chunk.choices || []).forEach((choice) => {
            const delta = choice.delta || {};
            if (delta.reasoning_content) {
              if (!reasoning) {
                reasoning = el("p", { class: "small" });
                answer.node.insertBefore(
                  el("details", { class: "reasoning" }, [el("summary", { text: "Reasoning" }), reasoning]),
                  answer.content,
                );
              }
              reasoning.textContent += delta.reasoning_content;
            }
            if (delta.content) {
              content += delta.content;
              answer.content.textContent = content;
              log.scrollTop = log.scrollHeight;
            }
          });
        });
      }
    } catch (e) {
      if (e.name === "AbortError") failed = "Stopped.";
      else failed = e.message;
    } finally {
      aborter = null;
      send.disabled = false;
      stop.hidden = true;
      answer.node.classList.remove("streaming");
    }
    if (content) history.push({ role: "assistant", content });
    const facts = [];
    if (credits !== null) facts.push(credits.toLocaleString() + " credits");
    if (usage) facts.push(usage.prompt_tokens + " prompt + " + usage.completion_tokens + " completion tokens");
    if (failed) facts.push(failed);
    if (failed && failed !== "Stopped.") errorBox.textContent = failed;
    answer.node.appendChild(el("div", { class: "chat-cost small muted", "data-testid": "turn-cost", text: facts.join(" · ") }));
    describe();
  }

  compose.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = message.value.trim();
    if (!text || aborter) return;
    message.value = "";
    turn(text);
  });
  message.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); compose.requestSubmit(); }
  });
  message.addEventListener("input", () => describe(message.value.trim() || null));
  ["pg-chat-system", "pg-chat-temperature", "pg-chat-max-tokens"].forEach((id) => $(id).addEventListener("input", () => describe()));
  stop.addEventListener("click", () => { if (aborter) aborter.abort(); });
  $("pg-chat-clear").addEventListener("click", () => {
    history = [];
    log.innerHTML = "";
    log.appendChild(el("p", { class: "muted", text: "Send a message to start." }));
    describe();
  });
  window.AIO_CHAT = { describe };
})();
