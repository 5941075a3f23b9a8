// A Copy button beside each read-only address marked data-copy: progressive enhancement,
// the address stays selectable without it.
document.querySelectorAll("input[data-copy]").forEach(function (input) {
  if (!navigator.clipboard) return;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button small secondary";
  button.textContent = "Copy";
  var status = document.createElement("span");
  status.setAttribute("role", "status");
  status.className = "muted";
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(input.value).then(function () {
      status.textContent = " Copied.";
    }, function () {
      input.select();
      status.textContent = " Select the address and copy it.";
    });
  });
  input.insertAdjacentElement("afterend", status);
  input.insertAdjacentElement("afterend", button);
});
