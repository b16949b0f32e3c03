// The admin's price form: show the fields of the chosen kind of rule, and as the admin
// edits, ask the server what sample requests would cost under the edited rule
// (POST /dashboard/api/admin/prices/{slug}/preview). No pricing is done here.
(function () {
  "use strict";

  const form = document.getElementById("price-form");
  if (!form) return;
  const kind = document.getElementById("price-kind");
  const rows = document.getElementById("preview-rows");
  const error = document.getElementById("preview-error");

  function showKind() {
    form.querySelectorAll("fieldset[data-kind]").forEach((set) => {
      set.hidden = !set.dataset.kind.split(" ").includes(kind.value);
    });
  }

  function fields() {
    const out = {};
    for (const [name, value] of new FormData(form).entries()) {
      if (name === "csrf_token" || typeof value !== "string") continue;
      if (name === "table_keys") (out[name] = out[name] || []).push(value);
      else out[name] = value;
    }
    return out;
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  // The preview's error is also shown next to the field it names.
  function mark(name, message) {
    form.querySelectorAll("[data-preview-error]").forEach((el) => el.remove());
    const input = name ? form.querySelector('[name="' + CSS.escape(name) + '"]') : null;
    if (!input) return;
    const note = document.createElement("span");
    note.className = "error-text";
    note.style.display = "block";
    note.dataset.previewError = name;
    note.textContent = message;
    input.insertAdjacentElement("afterend", note);
  }

  let timer = null;
  let asked = 0;
  async function refresh() {
    const mine = ++asked;
    try {
      const path = "/dashboard/api/admin/prices/" + form.dataset.slug + "/preview";
      const data = await window.AIO.api("POST", path, { fields: fields() });
      if (mine !== asked) return;
      error.hidden = true;
      mark(null, "");
      rows.replaceChildren(...data.data.samples.map((s) => {
        const tr = document.createElement("tr");
        tr.dataset.sample = s.label;
        tr.appendChild(cell(s.label, "small"));
        tr.appendChild(cell(s.credits === null ? s.error : s.credits + " credits", "num"));
        return tr;
      }));
    } catch (e) {
      if (mine !== asked) return;
      error.textContent = e.message;
      error.hidden = false;
      mark(e.param, e.message);
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  kind.addEventListener("change", showKind);
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.querySelectorAll('input[name="table_keys"]').forEach((box) => {
    box.addEventListener("change", () => document.getElementById("price-rows").click());
  });
  showKind();
  refresh();
})();
