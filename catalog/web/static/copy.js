// The paper page's "Copy BibTeX" button. The page works without it: the entry is
// plain text on the page and a .bib download; the button only appears with scripts on.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copied");
    if (!source) return;
    button.hidden = false;
    function say(text) { if (status) status.textContent = text; }
    function fallback(text) {
      // Without the Clipboard API (an old browser, a page not served from a secure
      // origin): copy from a selected, off-screen text area.
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      document.body.removeChild(area);
      say(done ? "Copied" : "Select the entry and copy it");
    }
    button.addEventListener("click", function () {
      var text = source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { say("Copied"); },
          function () { fallback(text); });
      } else {
        fallback(text);
      }
    });
  });
});
