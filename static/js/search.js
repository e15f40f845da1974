// Full-text search with Pagefind's own UI, self-hosted under /pagefind/ (no third-party
// request). The page itself is a list of links (the rubricator and the sections); this
// script loads the UI from /pagefind/ and, once it is there, puts the search in place of
// that list. Without JavaScript, or without the index (a build with --no-search), the
// links stay, so nothing here is needed to reach any content.
//
// The index of a large site comes in parts, listed by /pagefind/indexes.json (each with
// Pagefind's mergeIndex options), merged by Pagefind into the first index at /pagefind/, the
// vocabulary that says which parts hold a query's words (results ranked together, filter
// counts added up). The UI reaches Pagefind through /static/js/pagefind-parts/pagefind.js,
// which searches the parts that hold the query's words and leaves the vocabulary out.
//
// Query parameters: ?q=<words> starts a search (the header search box and the library form
// send it); ?type=<Тип> ticks that value of the «Тип» filter (the library form sends
// type=Практика).
(function () {
  "use strict";
  var BUNDLE = "/pagefind/";
  var API = "/static/js/pagefind-parts/";    // its pagefind.js: Pagefind's API over the parts
  var element = document.getElementById("search");
  if (!element) return;

  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = BUNDLE + "pagefind-ui.css";
  // Asked for at once, beside the script. Without the list (not fetched, not readable) only
  // the vocabulary would be there to search, and nothing would be found: the links stay.
  var parts = window.fetch(BUNDLE + "indexes.json", { cache: "no-cache" })
    .then(function (response) {
      if (!response.ok) throw new Error("indexes.json: " + response.status);
      return response.json();
    })
    .then(function (list) {
      var merge = list && Array.isArray(list.merge) ? list.merge.filter(function (part) {
        return part && typeof part.bundlePath === "string";
      }) : [];
      return merge.length ? merge : null;
    })
    .catch(function () { return null; });
  var script = document.createElement("script");
  script.src = BUNDLE + "pagefind-ui.js";
  script.onload = function () {
    parts.then(function (merged) {
      if (merged) start(merged); else style.remove();
    });
  };
  script.onerror = function () { style.remove(); };   // no index: keep the links
  document.head.appendChild(style);
  document.head.appendChild(script);

  // Keep ?q= in the address bar in step with the query, so a reload or a shared link
  // shows the same results.
  function rememberQuery(term) {
    if (!window.history || !window.history.replaceState) return term;
    var next = new URLSearchParams(window.location.search);
    if (term) next.set("q", term); else next.delete("q");
    var query = next.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    return term;
  }

  // Pagefind writes the number of results into a plain paragraph; screen readers hear it
  // through the page's own live region (role=status), which exists before any search.
  function announceCounts() {
    var status = document.getElementById("search-status");
    if (!status || !window.MutationObserver) return;
    var timer = null;
    new MutationObserver(function () {
      window.clearTimeout(timer);
      // Wait until the count stops changing, so that one search is announced once.
      timer = window.setTimeout(function () {
        var message = element.querySelector(".pagefind-ui__message");
        var text = message ? message.textContent.trim() : "";
        if (text && status.textContent !== text) status.textContent = text;
      }, 400);
    }).observe(element, { childList: true, subtree: true, characterData: true });
  }

  function start(merged) {
    if (typeof PagefindUI === "undefined") return;
    var fallback = document.getElementById("search-fallback");
    if (fallback) fallback.hidden = true;
    var params = new URLSearchParams(window.location.search);
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: API,
      mergeIndex: merged.map(function (part) { return Object.assign({}, part); }),
      showSubResults: true,
      showImages: false,
      showEmptyFilters: false,
      // On a phone the filters stand above the results: all folded there, so that the
      // results come first; on a wide screen they stand beside them, «Тип» open.
      openFilters: window.matchMedia("(min-width: 50rem)").matches ? ["Тип"] : [],
      pageSize: 10,
      excerptLength: 30,
      processTerm: rememberQuery,
      // Pagefind picks its built-in Russian strings from <html lang="ru">; these replace the
      // ones that would read wrong: Russian plural forms depend on the number ("2 результата",
      // "5 результатов"), so counts are phrased to be correct for any number.
      translations: {
        placeholder: element.getAttribute("data-placeholder") || "Поиск по сайту",
        load_more: "Показать ещё",
        zero_results: "По запросу «[SEARCH_TERM]» ничего не найдено",
        one_result: "Найден один результат по запросу «[SEARCH_TERM]»",
        many_results: "Найдено результатов по запросу «[SEARCH_TERM]»: [COUNT]",
        alt_search: "По запросу «[SEARCH_TERM]» ничего не найдено. Результаты по запросу «[DIFFERENT_TERM]»",
        searching: "Ищем «[SEARCH_TERM]»…"
      }
    });
    announceCounts();
    // The box is labelled by the page's visible heading, not by its placeholder alone.
    var box = element.querySelector(".pagefind-ui__search-input");
    if (box) box.setAttribute("aria-labelledby", "search-title");
    var type = params.get("type");
    var query = params.get("q");
    if (type) ui.triggerFilters({ "Тип": [type] });
    if (query) ui.triggerSearch(query);
  }
})();
