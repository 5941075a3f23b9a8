// A form that came back with errors: the focus goes to its summary, so that a screen reader
// reads what went wrong first. The page works the same without this script.
var summary = document.getElementById("error-summary");
if (summary) {
  summary.focus();
}
