// The Markdown editors' preview, as one types: a moment after the typing stops, the text goes
// to the server, which renders and sanitizes it as it will be published, and the panel shows
// it (the panel is aria-live, polite). Without this script the Preview button does the same.
(function () {
  var text = document.querySelector("textarea[data-preview]");
  var panel = document.getElementById("preview-body");
  if (!text || !panel || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var timer = null;
  var sent = 0;
  function update() {
    var asked = ++sent;
    fetch(text.getAttribute("data-preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ body: text.value }).toString()
    })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        // An answer overtaken by a later one is dropped.
        if (html !== null && asked === sent) {
          panel.innerHTML = html;
        }
      })
      .catch(function () {
        // Offline or logged out: the Preview button still works.
      });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 600);
  });
})();
