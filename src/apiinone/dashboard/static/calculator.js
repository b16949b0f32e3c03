// The cost calculator on a model's page: the schema form, priced by /dashboard/api/quotes.
(function () {
  "use strict";
  const box = document.getElementById("calculator");
  if (!box) return;
  const form = document.getElementById("calc-form");
  const price = document.getElementById("calc-price");
  const error = document.getElementById("calc-error");
  let controller = null;
  let timer = null;

  async function quote() {
    error.textContent = "";
    let body;
    try { body = controller.values(); } catch (e) { error.textContent = e.message; price.textContent = "—"; return; }
    try {
      const answer = await window.AIO.api("POST", "/dashboard/api/quotes", { path: box.dataset.endpoint, body });
      const data = answer.data;
      price.textContent = data.credits.toLocaleString() + " credits" + (data.pricing === "tokens" ? " at most" : "");
    } catch (e) {
      price.textContent = "—";
      error.textContent = e.message;
    }
  }

  function later() { clearTimeout(timer); timer = setTimeout(quote, 250); }

  window.AIO.api("GET", "/dashboard/api/models/" + encodeURIComponent(box.dataset.slug)).then((answer) => {
    controller = window.SchemaForm.build(form, answer.data.model.parameters, answer.data.example, { prefix: "calc" });
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    quote();
  }).catch((e) => { error.textContent = e.message; });
})();
