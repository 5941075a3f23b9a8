// A form that came back with errors: the focus goes to its summary, so that a screen reader
// reads what went wrong first. The page works the same without this script.
var summary = document.getElementById("error-summary");
if (summary) {
  summary.focus();
} else if (/^#post-\d+$/.test(location.hash)) {
  // After a reply the thread opens at it (#post-N, focusable with tabindex="-1"): the focus
  // goes there too, so that a screen reader reads the new post. Without this script the page
  // still scrolls to it, and the next Tab starts from it.
  var post = document.getElementById(location.hash.slice(1));
  if (post && post.hasAttribute("tabindex")) {
    post.focus();
  }
}

// The header's "Menu" (a <details>, static/portal.css): from 760 pixels up the stylesheet shows
// what it folds and hides "Menu". There it is opened too, so that what is shown is also what
// the page tells a screen reader or other tool is open; on a narrower screen it folds again.
// Without this script the menu works the same.
var fold = document.querySelector("header details.nav-fold");
if (fold && window.matchMedia && window.CSS && CSS.supports("selector(::details-content)")) {
  var wide = window.matchMedia("(min-width: 47.5rem)");
  var follow = function () {
    fold.open = wide.matches;
  };
  follow();
  wide.addEventListener("change", follow);
}
