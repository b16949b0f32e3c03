// Builds a form from a model's JSON Schema (GET /dashboard/api/models/{slug}) and reads
// it back as a request body. Used by the playground and the cost calculator.
(function () {
  "use strict";

  const LONG_TEXT = ["prompt", "text", "lyrics", "negative_prompt", "gpt_description_prompt", "style"];
  const SKIP = ["stream", "stream_options"];

  function pick(schema) {
    let s = schema || {};
    while (s.anyOf && !s.type && !s.enum) {
      const options = s.anyOf.filter((x) => x.type !== "null");
      const first = options[0] || {};
      s = Object.assign({}, first, {
        description: s.description !== undefined ? s.description : first.description,
        default: s.default !== undefined ? s.default : first.default,
      });
    }
    return s;
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    });
    (children || []).forEach((c) => c && node.appendChild(c));
    return node;
  }

  function kindOf(name, s) {
    if (s.enum) return "enum";
    if (s.type === "boolean") return "boolean";
    if (s.type === "integer" || s.type === "number") return "number";
    if (s.type === "string") {
      if (s.format === "uri") return "url";
      return LONG_TEXT.includes(name) || (s.maxLength || 0) >= 1000 ? "longtext" : "text";
    }
    if (s.type === "array") {
      const item = pick(s.items || {});
      if (item.type === "string") return item.format === "uri" ? "urls" : "lines";
      return "json";
    }
    return "json";
  }

  function build(form, schema, example, options) {
    const opts = options || {};
    form.innerHTML = "";
    const props = schema.properties || {};
    const required = new Set(schema.required || []);
    const fields = [];
    const main = el("div", { class: "fields" });
    const more = el("div", { class: "fields" });
    const names = Object.keys(props).filter((n) => !SKIP.includes(n));
    names.sort((a, b) => {
      const rank = (n) => (n === "model" ? 0 : required.has(n) || n in example ? 1 : 2);
      return rank(a) - rank(b);
    });
    names.forEach((name) => {
      const s = pick(props[name]);
      const kind = kindOf(name, s);
      const id = (opts.prefix || "f") + "-" + name;
      let input;
      const initial = name in example ? example[name] : undefined;
      if (kind === "enum") {
        input = el("select", { id, name });
        const values = s.enum.slice();
        if (!required.has(name) && s.default === undefined) input.appendChild(el("option", { value: "", text: "—" }));
        values.forEach((v) => {
          const label = s.default !== undefined && String(v) === String(s.default) ? v + " (default)" : String(v);
          input.appendChild(el("option", { value: String(v), text: label }));
        });
        const chosen = initial !== undefined ? initial : s.default;
        if (chosen !== undefined) input.value = String(chosen);
      } else if (kind === "boolean") {
        input = el("input", { id, name, type: "checkbox" });
        input.checked = initial !== undefined ? !!initial : !!s.default;
      } else if (kind === "number") {
        input = el("input", {
          id, name, type: "number", min: s.minimum, max: s.maximum,
          step: s.type === "integer" ? 1 : "any", placeholder: s.default !== undefined ? String(s.default) : "",
        });
        if (initial !== undefined) input.value = String(initial);
      } else if (kind === "longtext" || kind === "lines" || kind === "urls") {
        input = el("textarea", { id, name, rows: kind === "longtext" ? 3 : 2, maxlength: s.maxLength,
          placeholder: kind === "longtext" ? "" : "one per line" });
        if (initial !== undefined) input.value = Array.isArray(initial) ? initial.join("\n") : String(initial);
      } else if (kind === "json") {
        input = el("textarea", { id, name, rows: 4, class: "mono", placeholder: "JSON" });
        if (initial !== undefined) input.value = JSON.stringify(initial, null, 2);
      } else {
        input = el("input", { id, name, type: kind === "url" ? "url" : "text", maxlength: s.maxLength,
          placeholder: kind === "url" ? "https://…" : (s.default !== undefined ? String(s.default) : "") });
        if (initial !== undefined) input.value = String(initial);
      }
      const label = el("label", { for: id, class: kind === "boolean" ? "check" : null });
      const title = el("span", { class: "field-name" }, [document.createTextNode(name)]);
      if (required.has(name)) title.appendChild(el("span", { class: "req", text: " *" }));
      if (kind === "boolean") { label.appendChild(input); label.appendChild(title); } else { label.appendChild(title); label.appendChild(input); }
      if (s.description && name !== "model") label.appendChild(el("span", { class: "hint", text: s.description }));
      if ((kind === "url" || kind === "urls") && opts.upload) {
        const file = el("input", { type: "file", class: "upload", "aria-label": "Upload for " + name });
        file.addEventListener("change", async () => {
          if (!file.files.length) return;
          try {
            const url = await opts.upload(file.files[0]);
            input.value = kind === "urls" && input.value.trim() ? input.value.trim() + "\n" + url : url;
            input.dispatchEvent(new Event("input", { bubbles: true }));
          } catch (e) {
            if (opts.onError) opts.onError(e);
          }
        });
        label.appendChild(file);
      }
      fields.push({ name, kind, schema: s, input, required: required.has(name) });
      (name === "model" || required.has(name) || name in example ? main : more).appendChild(label);
    });
    form.appendChild(main);
    if (more.childNodes.length) {
      const details = el("details", { class: "more-params" }, [el("summary", { text: "More parameters (" + more.childNodes.length + ")" }), more]);
      form.appendChild(details);
    }

    function values() {
      const body = {};
      fields.forEach((f) => {
        const raw = f.input.type === "checkbox" ? f.input.checked : f.input.value;
        if (f.kind === "boolean") {
          const base = f.schema.default === undefined ? false : f.schema.default;
          if (raw !== base || f.required) body[f.name] = raw;
          return;
        }
        const text = String(raw).trim();
        if (!text) return;
        if (f.kind === "number") {
          body[f.name] = f.schema.type === "integer" ? parseInt(text, 10) : parseFloat(text);
        } else if (f.kind === "lines" || f.kind === "urls") {
          body[f.name] = text.split("\n").map((x) => x.trim()).filter(Boolean);
        } else if (f.kind === "json") {
          try { body[f.name] = JSON.parse(text); } catch (e) { throw new Error("'" + f.name + "' is not valid JSON"); }
        } else {
          body[f.name] = text;
        }
      });
      return body;
    }

    return { values, fields };
  }

  function mediaKind(url) {
    const path = url.split("?")[0].toLowerCase();
    if (/\.(png|jpe?g|webp|gif)$/.test(path)) return "image";
    if (/\.(mp4|webm|mov)$/.test(path)) return "video";
    if (/\.(mp3|wav|ogg|m4a|aac|flac)$/.test(path)) return "audio";
    return "file";
  }

  window.SchemaForm = { build, pick, el, mediaKind };
})();
