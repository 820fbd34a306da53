// The read-only portal view's one behaviour: when its session ends, the view is replaced by a notice
// that it has ended (the words come with the page, in the customer's language). It makes no request.
const main = document.getElementById("main");
const endsAt = Date.parse(main.dataset.endsAt);

function end() {
  const title = document.createElement("h1");
  title.textContent = main.dataset.endedTitle;
  const text = document.createElement("p");
  text.className = "notice notice-warning";
  text.textContent = main.dataset.ended;
  main.replaceChildren(title, text);
  document.title = main.dataset.endedTitle;
}

if (Number.isNaN(endsAt) || endsAt <= Date.now()) end();
else setTimeout(end, endsAt - Date.now());
