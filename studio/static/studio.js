/* Drag and drop for the draft page: steps, and the fields of a step, are moved into place and the
   new order is posted to the same endpoints a form would use. Without this script the "move up" and
   "move down" buttons do the same, one place at a time. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function postOrder(url, order) {
    var body = new URLSearchParams();
    body.append("csrf_token", csrfToken());
    order.forEach(function (value) { body.append("order", value); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" }).then(function () {
      window.location.reload();
    });
  }

  function sortable(container, selector, key, url) {
    var dragged = null;
    var items = container.querySelectorAll(selector);
    items.forEach(function (item) {
      item.setAttribute("draggable", "true");
      item.classList.add("draggable");
      item.addEventListener("dragstart", function (event) {
        event.stopPropagation(); // a field dragged in its step does not drag the step too
        dragged = item;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset[key]);
        item.classList.add("dragging");
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("dragging");
        dragged = null;
      });
      item.addEventListener("dragover", function (event) {
        if (dragged && dragged !== item && dragged.parentNode === item.parentNode) {
          event.preventDefault();
        }
      });
      item.addEventListener("drop", function (event) {
        if (!dragged || dragged === item || dragged.parentNode !== item.parentNode) {
          return;
        }
        event.preventDefault();
        var box = item.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        item.parentNode.insertBefore(dragged, after ? item.nextSibling : item);
        var order = Array.prototype.map.call(container.querySelectorAll(selector), function (element) {
          return element.dataset[key];
        });
        postOrder(url, order);
      });
    });
  }

  document.querySelectorAll("[data-order-steps]").forEach(function (container) {
    sortable(container, ":scope > [data-step]", "step", container.dataset.orderSteps);
  });
  document.querySelectorAll("[data-order-fields]").forEach(function (container) {
    sortable(container, ":scope > tr[data-field]:not(.item-field)", "field", container.dataset.orderFields);
  });
})();
