// Page behaviours declared with data- attributes, so that pages carry no inline script and
// the Content-Security-Policy can forbid it (script-src 'self').
//   <form data-confirm="确定？">                 asks before submitting
//   <button data-confirm="确定？">               asks before the click takes effect
//   <form data-prompt="理由" data-prompt-field="reason">  asks for a value, fills the field
//   <select data-autosubmit>                     submits its form on change
//   <button data-busy-text="正在导入…">           disables itself and submits its form once
//   <button data-add-form="members" data-template="member-template" data-total="id_members-TOTAL_FORMS"
//           data-label="家庭成员" data-testid-prefix="member-">  adds a formset row
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var question = form.getAttribute("data-prompt");
    if (question) {
      var answer = window.prompt(question);
      if (!answer) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      form.elements[form.getAttribute("data-prompt-field")].value = answer;
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-confirm],[data-busy-text],[data-add-form]") : null;
    if (!target || target.tagName === "FORM") return;
    var message = target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var busy = target.getAttribute("data-busy-text");
    if (busy && target.form) {
      event.preventDefault();
      if (target.form.reportValidity && !target.form.reportValidity()) return;
      target.disabled = true;
      target.textContent = busy;
      target.form.submit();
      return;
    }
    if (target.hasAttribute("data-add-form")) {
      var total = document.getElementById(target.getAttribute("data-total"));
      var index = parseInt(total.value, 10);
      var box = document.createElement("div");
      box.innerHTML = document.getElementById(target.getAttribute("data-template")).innerHTML.replace(/__prefix__/g, index);
      var row = box.firstElementChild;
      row.setAttribute("data-testid", target.getAttribute("data-testid-prefix") + index);
      var legend = row.querySelector("legend");
      if (legend) legend.textContent = target.getAttribute("data-label") + " " + (index + 1);
      document.getElementById(target.getAttribute("data-add-form")).appendChild(row);
      total.value = index + 1;
    }
  }, true);

  // On a phone the menu is one row that scrolls sideways: show the current page's entry.
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector("nav.sidebar");
    var active = nav && nav.querySelector("a.active");
    if (active && nav.scrollWidth > nav.clientWidth) nav.scrollLeft = active.offsetLeft - (nav.clientWidth - active.offsetWidth) / 2;
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof Element && target.hasAttribute("data-autosubmit") && target.form) target.form.submit();
  });
})();
