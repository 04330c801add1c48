/* make-brief search: runs Pagefind's index in the browser and lists the results.
   Progressive: without JavaScript, or from file:// (where browsers refuse to load the
   index), the search page still lists everything on the site. */
(function () {
  "use strict";
  var script = document.currentScript;
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var browse = document.getElementById("browse");
  if (!script || !form || !input || !status || !list) { return; }
  // This file is assets/search.js, so the site root is one level up, whatever the sub-path.
  var root = new URL("../", script.src);
  // The site is indexed in several bundles (sources, actors, briefs, PDFs); search them as one.
  var merged = JSON.parse(script.getAttribute("data-merge") || "[]");
  var engine = null;
  var latest = 0;

  function load() {
    if (!engine) {
      // baseUrl "/": result URLs stay as indexed (root-relative); link() resolves them against the real root.
      var options = { baseUrl: "/", excerptLength: 24 };
      engine = import(new URL("pagefind/pagefind.js", root).href).then(function (pagefind) {
        return pagefind.options(options).then(function () {
          return Promise.all(merged.map(function (bundle) {
            return pagefind.mergeIndex(new URL(bundle.bundlePath, root).href,
              { baseUrl: options.baseUrl, excerptLength: options.excerptLength, indexWeight: bundle.indexWeight });
          }));
        }).then(function () { return pagefind; });
      });
    }
    return engine;
  }

  function link(url) {
    return new URL(url.replace(/^\//, ""), root).href;
  }

  function item(result) {
    var li = document.createElement("li");
    var heading = document.createElement("a");
    heading.href = link((result.meta && result.meta.target) || result.url);
    heading.className = "result-title";
    heading.textContent = (result.meta && result.meta.title) || result.url;
    li.appendChild(heading);
    if (result.meta && result.meta.type) {
      var type = document.createElement("span");
      type.className = "result-type";
      type.textContent = result.meta.type;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(type);
    }
    var excerpt = document.createElement("p");
    // Pagefind's excerpt is text it escaped itself, with <mark> around the matches.
    excerpt.innerHTML = result.excerpt;
    li.appendChild(excerpt);
    return li;
  }

  function run(query) {
    var ticket = ++latest;
    var trimmed = query.trim();
    if (!trimmed) {
      list.hidden = true;
      if (browse) { browse.hidden = false; }
      status.textContent = "Type a word or a name to search.";
      return;
    }
    status.textContent = "Searching…";
    load().then(function (pagefind) {
      return pagefind.search(trimmed);
    }).then(function (search) {
      return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }));
    }).then(function (results) {
      if (ticket !== latest) { return; }
      list.replaceChildren.apply(list, results.map(item));
      list.hidden = results.length === 0;
      if (browse) { browse.hidden = results.length > 0; }
      status.textContent = results.length === 0 ? "Nothing found for “" + trimmed + "”."
        : results.length + (results.length === 1 ? " result" : " results") + " for “" + trimmed + "”.";
    }).catch(function () {
      if (ticket !== latest) { return; }
      status.textContent = "Search could not start here: browsers load the search index only over http(s). " +
        "Everything on the site is listed below.";
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = new URL(location.href);
      url.searchParams.set("q", input.value);
      history.replaceState(null, "", url.href);
      run(input.value);
    }, 200);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run(input.value);
  });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  } else {
    status.textContent = "Type a word or a name to search.";
  }
}());
